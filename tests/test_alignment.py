"""Aligning the student's layers with the reference's: by structure and call order, never by name."""

from __future__ import annotations

import time
from types import SimpleNamespace

import torch

from grader.checks.alignment import Mapping, candidate_mappings, student_weights
from grader.checks.diff import layer_table
from grader.course import Variant
from grader.judge.session import VariantFacts
from grader.judge.weights import reference_weights
from grader.sandbox.client import RunOutput
from grader.sandbox.messages import Layer, OutputInfo, Structure


def _conv(path: str, cin: int, cout: int, k: int = 1, bias: bool = True) -> Layer:
    params = [("weight", (cout, cin, k, k))] + ([("bias", (cout,))] if bias else [])
    return Layer(
        path=path,
        type="Conv2d",
        class_name="Conv2d",
        params=tuple(params),
        config={
            "in_channels": cin,
            "out_channels": cout,
            "kernel_size": [k, k],
            "padding": [0, 0],
            "bias": bias,
        },
        output_shape=(1, cout, 4, 4),
        calls=1,
    )


def test_interchangeable_layers_are_tried_every_way_call_order_first() -> None:
    reference = [_conv("branch1", 192, 32), _conv("pool_proj", 192, 32), _conv("reduce", 192, 128)]
    student = [_conv("p", 192, 32), _conv("r", 192, 128), _conv("a", 192, 32)]
    mappings = candidate_mappings(reference, student)
    assert mappings[0] == Mapping((("branch1", "p"), ("pool_proj", "a"), ("reduce", "r")))
    assert Mapping((("branch1", "a"), ("pool_proj", "p"), ("reduce", "r"))) in mappings
    assert len(mappings) == 2


def test_a_layer_without_bias_still_takes_the_weight() -> None:
    reference = [_conv("0", 3, 48, 3)]
    student = [_conv("features", 3, 48, 3, bias=False)]
    (mapping,) = candidate_mappings(reference, student)
    assert mapping.pairs == (("0", "features"),)
    weights = reference_weights(reference, seed=7)
    loaded = student_weights(mapping, reference, student, weights, seed=0)
    assert set(loaded) == {"features.weight"}
    assert loaded["features.weight"].info.name == "features.weight"
    assert torch.equal(loaded["features.weight"].materialise(), weights["0.weight"].materialise())


def test_sixteen_interchangeable_layers_give_few_candidates_quickly() -> None:
    # VGG16's five 512→512 convolutions, ResNet-50's identical blocks: a group this large is
    # taken in call order, never tried in its 16! orders.
    reference = [_conv(f"r{i}", 8, 8) for i in range(16)]
    student = [_conv(f"s{i}", 8, 8) for i in range(16)]
    started = time.monotonic()
    mappings = candidate_mappings(reference, student)
    assert time.monotonic() - started < 1.0
    assert mappings[0].pairs == tuple((f"r{i}", f"s{i}") for i in range(16))
    assert len(mappings) == 1


def test_the_behaviour_search_on_sixteen_interchangeable_layers_runs_a_few_times() -> None:
    """A chain of sixteen identical convolutions, graded by the behaviour search in-process:
    the right module matches on the first run; one with a ReLU too many is tried in call order
    alone (its one group is too large to reorder): one run, never 16! of them."""
    from grader.checks.behaviour import _Search

    def chain(relu_at: int | None) -> torch.nn.Module:
        layers: list[torch.nn.Module] = []
        for index in range(16):
            layers.append(torch.nn.Conv2d(8, 8, 1))
            if index == relu_at:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    reference = chain(None)
    layers = [_conv(str(i), 8, 8) for i in range(16)]
    weights = reference_weights(layers, seed=3)
    inputs = torch.randn(2, 8, 3, 3)
    expected, outputs = _forward(reference, {k: w.materialise() for k, w in weights.items()}, inputs)
    facts = VariantFacts(
        variant=Variant(id="chain", builder="build", description="the chain"),
        structure=Structure(output=_output((2, 8, 3, 3)), layers=tuple(layers), parameter_count=0),
        small_structure=Structure(output=_output((2, 8, 3, 3)), layers=tuple(layers), parameter_count=0),
        weights=weights,
        output=expected,
        layer_outputs=outputs,
    )
    for relu_at, matches, most_runs in ((None, True, 1), (7, False, 1)):
        module = chain(relu_at)
        student = _InProcessStudent(module)
        structure = Structure(output=_output((2, 8, 3, 3)), layers=_layers_of(module), parameter_count=0)
        started = time.monotonic()
        search = _Search(student, "default", inputs, structure, fresh=False)
        found = search.variant(facts)
        assert (found is not None) is matches
        assert 1 <= student.runs <= most_runs
        assert time.monotonic() - started < 10.0


def _output(shape: tuple[int, ...]) -> OutputInfo:
    return OutputInfo(kind="tensor", type_name="Tensor", shape=shape, device="cpu")


def _layers_of(module: torch.nn.Module) -> tuple[Layer, ...]:
    return tuple(
        _conv(name, 8, 8) for name, sub in module.named_children() if isinstance(sub, torch.nn.Conv2d)
    )


def _forward(module: torch.nn.Module, weights: dict, inputs: torch.Tensor) -> tuple[torch.Tensor, dict]:
    module.load_state_dict(weights, strict=False)
    captured: dict = {}
    handles = [
        sub.register_forward_hook(
            lambda sub, args, out, name=name: captured.setdefault(name, out.detach().clone())
        )
        for name, sub in module.named_children()
        if isinstance(sub, torch.nn.Conv2d)
    ]
    with torch.no_grad():
        output = module.eval()(inputs)
    for handle in handles:
        handle.remove()
    return output, captured


class _InProcessStudent:
    """What the behaviour search asks of a student, answered by a module in this process."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.runs = 0
        self.exercise = SimpleNamespace(id="chain")
        self.session = SimpleNamespace(seed=lambda *parts: 11, runs={})

    def run(
        self, configuration: str, inputs: torch.Tensor, *, weights: dict, capture_layers: bool
    ) -> RunOutput:
        self.runs += 1
        output, layers = _forward(self.module, {k: w.materialise() for k, w in weights.items()}, inputs)
        info = _output(tuple(output.shape))
        return RunOutput(info=info, tensor=output, layers=layers if capture_layers else None)


def test_the_layer_table_marks_the_first_difference() -> None:
    reference = [_conv("a", 1, 8, 5), _conv("b", 8, 8, 3)]
    student = [_conv("x", 1, 8, 5), _conv("y", 8, 16, 3)]
    rows = layer_table(student, reference)
    assert [row.differs for row in rows] == [False, True]
    assert rows[1].first_difference
    assert "Conv2d 8→16 3×3" in rows[1].student
    assert "Conv2d 8→8 3×3" in rows[1].reference
