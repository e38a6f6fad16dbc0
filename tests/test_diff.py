"""The student's layers against the reference's as a diff: pairs, hints and the nearest variant."""

from __future__ import annotations

from grader.checks.diff import Step, align, layer_table, nearest, structural_hints
from grader.sandbox.messages import Layer, Op, OutputInfo, Structure


def _conv(path: str, cin: int, cout: int, k: int = 1) -> Layer:
    return Layer(
        path=path,
        type="Conv2d",
        class_name="Conv2d",
        params=(("weight", (cout, cin, k, k)), ("bias", (cout,))),
        config={
            "in_channels": cin,
            "out_channels": cout,
            "kernel_size": [k, k],
            "padding": [k // 2] * 2,
            "bias": True,
        },
        output_shape=(1, cout, 4, 4),
        calls=1,
    )


def _plain(path: str, kind: str, channels: int = 0) -> Layer:
    params = (("weight", (channels,)), ("bias", (channels,))) if channels else ()
    config = {"num_features": channels} if channels else {}
    return Layer(
        path=path, type=kind, class_name=kind, params=params, config=config, output_shape=None, calls=1
    )


INCEPTION = [
    _conv("b1", 192, 32),
    _conv("b2.0", 192, 128),
    _conv("b2.1", 128, 128, 3),
    _conv("b3.0", 192, 64),
    _conv("b3.1", 64, 64, 5),
    _plain("b4.0", "MaxPool2d"),
    _conv("b4.1", 192, 32),
]


def test_one_extra_layer_shifts_nothing_else() -> None:
    student = [*INCEPTION[:2], _plain("bn", "BatchNorm2d", 128), *INCEPTION[2:]]
    pairs = align(student, INCEPTION)
    assert [p.step for p in pairs].count(Step.SAME) == len(INCEPTION)
    assert [p.student.path for p in pairs if p.step is Step.EXTRA] == ["bn"]
    # The old positional pairing described b2.1 against b2.0 and every later layer wrongly.
    hints = structural_hints(student, INCEPTION)
    assert len(hints) == 1
    assert "adds BatchNorm2d (`bn` after `b2.0`)" in hints[0]
    assert "no normalisation layer" in hints[0]


def test_a_changed_width_is_named_at_its_place() -> None:
    student = [*INCEPTION[:2], _conv("b2.1", 128, 96, 3), *INCEPTION[3:]]
    (hint,) = structural_hints(student, INCEPTION, variant="the paper's")
    assert "Your `b2.1` is Conv2d 128→96 3×3" in hint
    assert "the reference (the paper's) has Conv2d 128→128 3×3" in hint
    assert "out_channels 96 instead of 128" in hint


def test_two_3x3_where_the_reference_has_one_5x5() -> None:
    student = [*INCEPTION[:4], _conv("b3.1", 64, 64, 3), _conv("b3.2", 64, 64, 3), *INCEPTION[5:]]
    hints = structural_hints(student, INCEPTION)
    assert any("two 3×3 convolutions" in hint and "one 5×5" in hint for hint in hints)


def test_activation_before_the_convolutions_is_named_pre_activation() -> None:
    reference = [_conv("c1", 8, 4), _plain("r1", "ReLU"), _conv("c2", 4, 8), _plain("r2", "ReLU")]
    student = [_plain("r1", "ReLU"), _conv("c1", 8, 4), _plain("r2", "ReLU"), _conv("c2", 4, 8)]
    hints = structural_hints(student, reference)
    assert any("pre-activation order" in hint for hint in hints)


def test_dropout_kinds_pair_and_say_which() -> None:
    reference = [_conv("c", 3, 48, 3), _plain("r", "ReLU"), _plain("d", "Dropout")]
    student = [_conv("c", 3, 48, 3), _plain("r", "ReLU"), _plain("d", "Dropout2d")]
    (hint,) = structural_hints(student, reference)
    assert "nn.Dropout2d" in hint and "nn.Dropout" in hint and "whole channels" in hint


def _structure(layers: list[Layer], relus: int = 0) -> Structure:
    return Structure(
        output=OutputInfo(kind="tensor", type_name="Tensor", shape=(1, 256, 4, 4)),
        layers=tuple(layers),
        parameter_count=0,
        ops=tuple(Op(name="relu", shape=(1,)) for _ in range(relus)),
    )


def test_the_nearest_variant_explains_most_layers_then_applies_as_many_activations() -> None:
    paper = []
    for layer in INCEPTION:
        paper.append(layer)
        if layer.type == "Conv2d":
            paper.append(_plain(layer.path + ".relu", "ReLU"))
    variants = [("seed", _structure(INCEPTION)), ("paper", _structure(paper, relus=6))]
    # ReLU layers after each convolution, one branch too narrow: the paper's variant.
    student = [*paper[:4], _conv("b2.1", 128, 96, 3), *paper[5:]]
    assert nearest(_structure(student, relus=6), variants, lambda v: v[1])[0] == "paper"
    # torchvision's style: F.relu inside a helper module, so no ReLU layer, but six calls.
    assert nearest(_structure(INCEPTION, relus=6), variants, lambda v: v[1])[0] == "paper"
    assert nearest(_structure(INCEPTION), variants, lambda v: v[1])[0] == "seed"


def test_the_table_marks_the_first_difference_once() -> None:
    student = [*INCEPTION[:2], _plain("bn", "BatchNorm2d", 128), *INCEPTION[2:]]
    rows = layer_table(student, INCEPTION)
    assert [row.first_difference for row in rows].count(True) == 1
    assert rows[2].first_difference and rows[2].reference == "—"
    assert not any(row.differs for row in rows[3:])
