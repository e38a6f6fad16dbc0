"""A network in the stages its statement names: where each ends, what it holds, where they differ.

A stage is found by the shape it ends with (ResNet-50's conv3_x ends at (32, 512, 28, 28)),
never by attribute names: in the order forward computes them — every layer call, and every
torch call (a ``torch.cat`` joining an Inception's branches is no layer) — a stage ends at the
last result of its shape before the first result of the next stage's shape. Each layer with
parameters belongs to the stage where forward first calls it. So a network written in any
style is cut the same way, and a 160-layer difference is told as a few lines: "conv4_x has 4
blocks, the reference 6".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from grader.checks.layers import describe, shape_text
from grader.course import Exercise, Stage, StageUnit
from grader.i18n import _
from grader.sandbox.messages import Layer, Shape, Structure

#: The torch calls a unit named by its op stands for (``a + b`` is recorded as ``__add__``).
UNIT_OPS = {
    "add": {"add", "add_", "__add__", "__iadd__", "__radd__"},
    "cat": {"cat", "concat", "concatenate"},
}


@dataclass(frozen=True, kw_only=True)
class Span:
    """One stage of one module: its layers with parameters, and the units it repeats."""

    stage: Stage
    found: bool
    layers: tuple[Layer, ...] = ()
    units: int = 0

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)


def _timeline(structure: Structure) -> list[tuple[float, Shape | None, str]]:
    """Layer calls and torch calls in the order forward made them: (position, shape, what)."""
    events: list[tuple[float, Shape | None, str]] = [
        (float(index), call.shape, "layer:" + call.path) for index, call in enumerate(structure.calls)
    ]
    events += [(op.after - 0.5, op.shape, "op:" + op.name) for op in structure.ops]
    events.sort(key=lambda event: event[0])
    return events


def _ends(structure: Structure, stages: Sequence[Stage]) -> list[float | None]:
    """The position where each stage ends (None: its shape never appears where it should)."""
    events = _timeline(structure)
    ends: list[float | None] = []
    start = -1.0
    for index, stage in enumerate(stages):
        following = stages[index + 1].shape if index + 1 < len(stages) else None
        limit = next(
            (pos for pos, shape, _ in events if pos > start and following is not None and shape == following),
            float("inf"),
        )
        candidates = [pos for pos, shape, _ in events if start < pos < limit and shape == stage.shape]
        if not candidates:
            ends += [None] * (len(stages) - index)
            return ends
        start = candidates[0] if stage.end == "first" else candidates[-1]
        ends.append(start)
    return ends


def spans(structure: Structure, exercise: Exercise) -> list[Span]:
    """Each stage of ``exercise`` in ``structure`` (traced at the default configuration's size)."""
    stages = exercise.stages
    ends = _ends(structure, stages)
    first_call: dict[str, int] = {}
    for index, call in enumerate(structure.calls):
        first_call.setdefault(call.path, index)
    weighted = [layer for layer in structure.weighted_layers if layer.path in first_call]
    result = []
    start = -1.0
    for stage, end in zip(stages, ends, strict=True):
        if end is None:
            result.append(Span(stage=stage, found=False))
            continue
        layers = tuple(layer for layer in weighted if start < first_call[layer.path] <= end)
        result.append(
            Span(
                stage=stage,
                found=True,
                layers=layers,
                units=_units(structure, exercise.stage_unit, start, end),
            )
        )
        start = end
    return result


def _units(structure: Structure, unit: StageUnit | None, start: float, end: float) -> int:
    if unit is None:
        return 0
    if unit.op:
        names = UNIT_OPS.get(unit.op, {unit.op})
        return sum(1 for op in structure.ops if op.name in names and start < op.after - 0.5 <= end)
    types = {layer.path: layer.type for layer in structure.layers}
    return sum(
        1
        for index, call in enumerate(structure.calls)
        if start < index <= end and types.get(call.path) == unit.layer
    )


def missing_stage(structure: Structure, exercise: Exercise) -> str | None:
    """Why the stated stage shapes do not all appear in order, or None when they do."""
    for index, span in enumerate(spans(structure, exercise)):
        if span.found:
            continue
        stage, shape = _(span.stage.name), shape_text(span.stage.shape)
        if index:
            where = _(
                "{stage} should end with shape {shape}; nothing in your forward gives that shape "
                "after {previous}."
            ).format(stage=stage, shape=shape, previous=_(exercise.stages[index - 1].name))
        else:
            where = _(
                "{stage} should end with shape {shape}; nothing in your forward gives that shape."
            ).format(stage=stage, shape=shape)
        shapes = _shapes_after(structure, exercise.stages[index - 1].shape if index else None)
        found = (
            _("Your shapes there: {shapes}.").format(shapes=shapes)
            if shapes
            else _("Your shapes there: none.")
        )
        return f"{where} {found}"
    return None


def _shapes_after(structure: Structure, shape: Shape | None, count: int = 6) -> str:
    """The first ``count`` shapes forward gives after ``shape``, as ``(…) → (…)`` (empty: none)."""
    events = _timeline(structure)
    seen = shape is None
    shapes: list[Shape] = []
    for _position, found, _what in events:
        if not seen:
            seen = found == shape
            continue
        if found is not None and (not shapes or shapes[-1] != found):
            shapes.append(found)
        if len(shapes) >= count:
            break
    return " → ".join(shape_text(s) for s in shapes)


def summary(student: Structure, reference: Structure, exercise: Exercise) -> list[str]:
    """One line per stage where the student's module differs from the reference's."""
    if not exercise.stages:
        return []
    unit = exercise.stage_unit
    lines = []
    for ours, theirs in zip(spans(student, exercise), spans(reference, exercise), strict=True):
        name = _(ours.stage.name)
        if not theirs.found:
            continue
        if not ours.found:
            lines.append(
                _("{stage}: nothing in your forward ends with its shape {shape}.").format(
                    stage=name, shape=shape_text(ours.stage.shape)
                )
            )
            continue
        # Each difference is a phrase of its own; a stage's line lists them, joined by "; ".
        words = []
        if unit is not None and ours.units != theirs.units:
            words.append(
                _("has {found} {unit}, the reference {expected}").format(
                    found=ours.units, unit=_(unit.name), expected=theirs.units
                )
            )
        if ours.parameter_count != theirs.parameter_count:
            words.append(
                _("{found:,} parameters, the reference {expected:,}").format(
                    found=ours.parameter_count, expected=theirs.parameter_count
                )
            )
        missing, extra = _layer_difference(ours.layers, theirs.layers)
        if missing:
            words.append(_("the reference has {layers} that yours does not").format(layers=missing))
        if extra:
            words.append(_("yours has {layers} that the reference does not").format(layers=extra))
        if words:
            lines.append(_("{stage}: {differences}.").format(stage=name, differences="; ".join(words)))
    return lines


def _layer_difference(ours: Sequence[Layer], theirs: Sequence[Layer]) -> tuple[str, str]:
    """The layers one side has and the other lacks, counted by what they are."""
    mine, yours = Counter(map(describe, ours)), Counter(map(describe, theirs))
    return _counted(yours - mine), _counted(mine - yours)


def _counted(layers: Counter[str], most: int = 3) -> str:
    items = ", ".join(f"{count} × {what}" if count > 1 else what for what, count in layers.most_common(most))
    more = sum(layers.values()) - sum(count for _what, count in layers.most_common(most))
    return _("{layers} and {more} more").format(layers=items, more=more) if more else items
