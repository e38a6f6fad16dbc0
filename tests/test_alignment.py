"""Aligning the student's layers with the reference's: by structure and call order, never by name."""

from __future__ import annotations

from grader.checks.alignment import Mapping, candidate_mappings, student_weights
from grader.checks.diff import layer_table
from grader.sandbox.messages import Layer


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
    import torch

    reference = [_conv("0", 3, 48, 3)]
    student = [_conv("features", 3, 48, 3, bias=False)]
    (mapping,) = candidate_mappings(reference, student)
    assert mapping.pairs == (("0", "features"),)
    weights = {"0.weight": torch.ones(48, 3, 3, 3), "0.bias": torch.zeros(48)}
    loaded = student_weights(mapping, reference, student, weights, torch.Generator().manual_seed(0))
    assert set(loaded) == {"features.weight"}
    assert torch.equal(loaded["features.weight"], weights["0.weight"])


def test_the_layer_table_marks_the_first_difference() -> None:
    reference = [_conv("a", 1, 8, 5), _conv("b", 8, 8, 3)]
    student = [_conv("x", 1, 8, 5), _conv("y", 8, 16, 3)]
    rows = layer_table(student, reference)
    assert [row.differs for row in rows] == [False, True]
    assert rows[1].first_difference
    assert "Conv2d 8→16 3×3" in rows[1].student
    assert "Conv2d 8→8 3×3" in rows[1].reference
