"""The student's layers against the reference's, as a diff: one extra layer shifts nothing else.

Both modules' layers, in the order forward calls them, are aligned like two texts: a layer
equal to the reference's (same type and configuration) pairs at no cost; one of the same
type built differently pairs as *changed*; anything else is an *extra* layer of the
student's or a *missing* one of the reference's. The layer table, the structural hints and
the choice of the nearest accepted variant all read this one alignment.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from grader.checks.layers import cell, describe, named
from grader.i18n import _
from grader.report.record import LayerRow
from grader.sandbox.messages import Layer, Structure

T = TypeVar("T")

_NORMALISATIONS = ("BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm", "LocalResponseNorm")
_ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "PReLU", "Hardswish")


class Step(enum.StrEnum):
    SAME = "same"
    CHANGED = "changed"  # the same kind of layer, built differently
    EXTRA = "extra"  # the student's, with no counterpart in the reference
    MISSING = "missing"  # the reference's, with no counterpart in the student's


@dataclass(frozen=True)
class Pair:
    step: Step
    student: Layer | None
    reference: Layer | None


def _kind(layer: Layer) -> str:
    """Dropout, Dropout2d and AlphaDropout are one kind: pairing them says which was meant."""
    return "Dropout" if "Dropout" in layer.type else layer.type


def _same(ours: Layer, theirs: Layer) -> bool:
    return describe(ours) == describe(theirs) and ours.type == theirs.type


def align(student: Sequence[Layer], reference: Sequence[Layer]) -> list[Pair]:
    """The cheapest alignment (edit distance: an extra or missing layer costs 2, a changed
    one 1, an equal one 0; layers of different kinds never pair)."""
    rows, columns = len(student), len(reference)
    cost = [[0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows + 1):
        cost[i][0] = 2 * i
    for j in range(columns + 1):
        cost[0][j] = 2 * j
    for i in range(1, rows + 1):
        for j in range(1, columns + 1):
            ours, theirs = student[i - 1], reference[j - 1]
            best = min(cost[i - 1][j] + 2, cost[i][j - 1] + 2)
            if _kind(ours) == _kind(theirs):
                best = min(best, cost[i - 1][j - 1] + (0 if _same(ours, theirs) else 1))
            cost[i][j] = best
    pairs: list[Pair] = []
    i, j = rows, columns
    while i or j:
        if i and j and _kind(student[i - 1]) == _kind(reference[j - 1]):
            same = _same(student[i - 1], reference[j - 1])
            if cost[i][j] == cost[i - 1][j - 1] + (0 if same else 1):
                pairs.append(Pair(Step.SAME if same else Step.CHANGED, student[i - 1], reference[j - 1]))
                i, j = i - 1, j - 1
                continue
        if i and cost[i][j] == cost[i - 1][j] + 2:
            pairs.append(Pair(Step.EXTRA, student[i - 1], None))
            i -= 1
        else:
            pairs.append(Pair(Step.MISSING, None, reference[j - 1]))
            j -= 1
    pairs.reverse()
    return pairs


def agreement(student: Sequence[Layer], reference: Sequence[Layer]) -> int:
    """How many of the student's layers the reference explains exactly."""
    return sum(1 for pair in align(student, reference) if pair.step is Step.SAME)


def nearest(student: Structure, candidates: Sequence[T], structure: Callable[[T], Structure]) -> T:
    """The accepted variant closest to the student's module (the first, on a tie): feedback
    aimed at another would steer the student away from a right answer.

    Closest is the one that explains most of the student's layers other than activations,
    then the one that applies activations as many times (a functional F.relu is no layer, but
    is recorded as a call).
    """

    def score(candidate: T) -> tuple[int, int]:
        theirs = structure(candidate)
        layers = agreement(_without_activations(student), _without_activations(theirs))
        return layers, -abs(activations_applied(student) - activations_applied(theirs))

    return max(candidates, key=score)


#: The recorded torch calls that apply an activation, whether from a layer or a function.
ACTIVATION_CALLS = {
    "relu": "ReLU",
    "relu_": "ReLU",
    "gelu": "GELU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "leaky_relu": "LeakyReLU",
}


def activations_applied(structure: Structure, kind: str | None = None) -> int:
    return sum(
        1
        for op in structure.ops
        if op.name in ACTIVATION_CALLS and (kind is None or ACTIVATION_CALLS[op.name] == kind)
    )


def _without_activations(structure: Structure) -> list[Layer]:
    return [layer for layer in structure.called_layers if layer.type not in _ACTIVATIONS]


def applied_counts(student: Structure, reference: Structure) -> dict[str, tuple[int, int]]:
    """How many times each activation type was applied: (the student's, the reference's)."""
    kinds = set(ACTIVATION_CALLS.values())
    return {
        kind: (activations_applied(student, kind), activations_applied(reference, kind)) for kind in kinds
    }


def _functional(pair: Pair, applied: dict[str, tuple[int, int]]) -> bool:
    """A reference activation layer the student applies as a function (F.relu) just as often."""
    if pair.step is not Step.MISSING or pair.reference is None or pair.reference.type not in applied:
        return False
    ours, theirs = applied[pair.reference.type]
    return ours >= theirs > 0


def layer_table(
    student: Sequence[Layer], reference: Sequence[Layer], *, applied: dict[str, tuple[int, int]] | None = None
) -> tuple[LayerRow, ...]:
    """The two call-ordered layer lists side by side, aligned, the first difference marked.

    ``applied`` (see ``applied_counts``): a reference activation the student applies as a
    function as often is shown as such, not as a difference.
    """
    rows: list[LayerRow] = []
    for pair in align(student, reference):
        functional = _functional(pair, applied or {})
        differs = not functional and (
            pair.step is not Step.SAME or pair.student.output_shape != pair.reference.output_shape
        )
        rows.append(
            LayerRow(
                student=_("(applied as a function, e.g. F.{function})").format(
                    function=pair.reference.type.lower()
                )
                if functional
                else cell(pair.student),
                reference=cell(pair.reference),
                differs=differs,
                first_difference=differs and not any(row.differs for row in rows),
            )
        )
    return _window(rows)


#: A table longer than this shows the rows around its first difference (a network's would be 160).
MAX_TABLE_ROWS = 24
#: Rows kept before the first difference, in a table that long.
CONTEXT_ROWS = 6


def _window(rows: list[LayerRow]) -> tuple[LayerRow, ...]:
    """The first difference in its context: rows before and after it, the rest counted."""
    if len(rows) <= MAX_TABLE_ROWS:
        return tuple(rows)
    first = next((index for index, row in enumerate(rows) if row.first_difference), 0)
    start = max(0, first - CONTEXT_ROWS)
    stop = min(len(rows), start + MAX_TABLE_ROWS)
    kept = rows[start:stop]
    if start:
        kept.insert(0, _elided(_("… {count} more layers before these …").format(count=start)))
    if stop < len(rows):
        kept.append(_elided(_("… {count} more layers after these …").format(count=len(rows) - stop)))
    return tuple(kept)


def _elided(text: str) -> LayerRow:
    return LayerRow(student=text, reference=text, differs=False)


def structural_hints(
    student: Sequence[Layer],
    reference: Sequence[Layer],
    *,
    variant: str = "",
    applied: dict[str, tuple[int, int]] | None = None,
    activations: bool = True,
) -> list[str]:
    """One sentence per kind of structural deviation, each naming where.

    ``applied``: how many times each activation type was applied (the student's, the
    reference's), counting functional calls and layers called more than once, which the
    call-ordered layer list shows once: an activation is said to be missing or extra only
    where those counts differ too.
    """
    pairs = align(student, reference)
    # The phrase each hint names the reference by (the variant's description from the course).
    against = _("the reference ({variant})").format(variant=_(variant)) if variant else _("the reference")
    hints: list[str] = []
    hints += _normalisation(pairs, against)
    order = _order(student, reference, against)
    hints += order
    if activations and not order:
        hints += _activations(pairs, against, applied or {})
    hints += _split_kernel(pairs, against)
    hints += _changed(pairs, against)
    return hints


def _after(pairs: list[Pair], index: int) -> str | None:
    """The path of the student's layer just before pair ``index`` (None: it is the first)."""
    for pair in reversed(pairs[:index]):
        if pair.student is not None:
            return pair.student.path
    return None


def _place(layer: Layer, previous: str | None) -> str:
    """Where a student's layer is, in words: `bn` after `conv1`."""
    if previous is None:
        return _("`{path}` at the start").format(path=layer.path)
    return _("`{path}` after `{previous}`").format(path=layer.path, previous=previous)


def _normalisation(pairs: list[Pair], against: str) -> list[str]:
    extra = [
        (index, pair.student)
        for index, pair in enumerate(pairs)
        if pair.step is Step.EXTRA and pair.student and pair.student.type.startswith(_NORMALISATIONS)
    ]
    if not extra:
        return []
    kinds = sorted({layer.type for _index, layer in extra})
    joined = kinds[0]
    for kind in kinds[1:]:
        joined = _("{first} and {second}").format(first=joined, second=kind)
    places = ", ".join(_place(layer, _after(pairs, index)) for index, layer in extra[:4])
    if len(extra) > 4:
        text = _(
            "Your module adds {kinds} ({places} and {more} more); {against} has no normalisation layer "
            "there. {kind} changes what the block computes: remove it to match the exercise."
        )
    else:
        text = _(
            "Your module adds {kinds} ({places}); {against} has no normalisation layer there. {kind} "
            "changes what the block computes: remove it to match the exercise."
        )
    return [text.format(kinds=joined, places=places, more=len(extra) - 4, against=against, kind=kinds[0])]


def _activations(pairs: list[Pair], against: str, applied: dict[str, tuple[int, int]]) -> list[str]:
    hints = []
    for index, pair in enumerate(pairs):
        layer = {Step.EXTRA: pair.student, Step.MISSING: pair.reference}.get(pair.step)
        if layer is None or layer.type not in _ACTIVATIONS:
            continue
        ours, theirs = applied.get(layer.type, (0, 0))
        if layer.type in applied and (ours >= theirs if pair.step is Step.MISSING else ours <= theirs):
            continue  # applied as often as the reference does: a shared layer or a functional call
        if pair.step is Step.EXTRA:
            student_previous = _after(pairs, index)
            if student_previous is None:
                text = _(
                    "Your `{path}` ({type}) at the start has no counterpart in {against}: an extra "
                    "activation there changes the output."
                )
            else:
                text = _(
                    "Your `{path}` ({type}) after `{previous}` has no counterpart in {against}: an extra "
                    "activation there changes the output."
                )
            hints.append(
                text.format(path=layer.path, type=layer.type, previous=student_previous, against=against)
            )
        else:
            previous = next((p.reference for p in reversed(pairs[:index]) if p.reference is not None), None)
            if previous is None:
                text = _(
                    "{against} applies {type}; your module has no {type} layer there (a functional call "
                    "such as F.relu counts, but does not show in this table)."
                )
            else:
                text = _(
                    "{against} applies {type} after its `{previous}`; your module has no {type} layer "
                    "there (a functional call such as F.relu counts, but does not show in this table)."
                )
            hints.append(
                text.format(
                    against=against[0].upper() + against[1:],
                    type=layer.type,
                    previous=previous.path if previous is not None else "",
                )
            )
    return hints[:3]


def _order(student: Sequence[Layer], reference: Sequence[Layer], against: str) -> list[str]:
    """The same layers, but activations or normalisations before the convolutions they follow."""
    ours = [_kind(layer) for layer in student]
    theirs = [_kind(layer) for layer in reference]
    if sorted(ours) != sorted(theirs) or ours == theirs:
        return []

    def leads(kinds: list[str]) -> bool:
        return bool(kinds) and (kinds[0] in _ACTIVATIONS or kinds[0].startswith(_NORMALISATIONS))

    def chain(kinds: list[str], most: int) -> str:
        return " → ".join(kinds[:most]) + (" → …" if len(kinds) > most else "")

    if leads(ours) and not leads(theirs):
        return [
            _(
                "Your module applies {first} before the first {layer} (pre-activation order); {against} "
                "applies each activation after the layer it follows: {order}."
            ).format(first=ours[0], layer=theirs[0], against=against, order=chain(theirs, 4))
        ]
    return [
        _(
            "Your module has the layers of {against}, in another order: yours {order}; the reference's "
            "{reference_order}."
        ).format(against=against, order=chain(ours, 6), reference_order=chain(theirs, 6))
    ]


def _split_kernel(pairs: list[Pair], against: str) -> list[str]:
    """Two 3×3 convolutions, one after the other, where the reference has one 5×5 with the
    same input and output channels (the same receptive field)."""
    fives = [
        p.reference
        for p in pairs
        if p.step is not Step.SAME and _conv(p.reference) and _kernel(p.reference) == [5, 5]
    ]
    ours = [p.student for p in pairs if _conv(p.student)]
    for five in fives:
        for first, second in itertools.pairwise(ours):
            chained = first.config.get("out_channels") == second.config.get("in_channels")
            if (
                _kernel(first) == _kernel(second) == [3, 3]
                and chained
                and first.config.get("in_channels") == five.config.get("in_channels")
                and second.config.get("out_channels") == five.config.get("out_channels")
            ):
                return [
                    _(
                        "Your `{first}` and `{second}` are two 3×3 convolutions where {against} has one "
                        "5×5, {layer}: the same receptive field, but other layers with other weights. The "
                        "exercise asks for the 5×5."
                    ).format(first=first.path, second=second.path, against=against, layer=named(five))
                ]
    return []


def _kernel(layer: Layer) -> object:
    return layer.config.get("kernel_size")


def _without_bias(layer: Layer) -> str:
    return describe(layer).replace(" bias=False", "")


def _conv(layer: Layer | None) -> bool:
    return layer is not None and layer.type == "Conv2d"


def _changed(pairs: list[Pair], against: str) -> list[str]:
    hints = []
    for pair in pairs:
        if pair.step is not Step.CHANGED or pair.student is None or pair.reference is None:
            continue
        ours, theirs = pair.student, pair.reference
        if _without_bias(ours) == _without_bias(theirs):
            continue  # only the bias differs: the bias hint names every such layer at once
        if ours.type != theirs.type:
            if "Dropout" in ours.type:
                text = _(
                    "Your `{path}` is nn.{type}; at that place {against} uses nn.{reference_type} (Dropout2d "
                    "zeroes whole channels, Dropout single values)."
                )
            else:
                text = _("Your `{path}` is nn.{type}; at that place {against} uses nn.{reference_type}.")
            hints.append(
                text.format(path=ours.path, type=ours.type, against=against, reference_type=theirs.type)
            )
            continue
        widths = [
            _("{name} {found} instead of {expected}").format(
                name=name, found=ours.config[name], expected=theirs.config[name]
            )
            for name in ("in_channels", "out_channels", "in_features", "out_features", "num_features")
            if name in ours.config and ours.config.get(name) != theirs.config.get(name)
        ]
        if widths:
            hints.append(
                _(
                    "Your `{path}` is {layer}; at that place {against} has {reference} ({widths}): check "
                    "that branch's width."
                ).format(
                    path=ours.path,
                    layer=describe(ours),
                    against=against,
                    reference=describe(theirs),
                    widths=", ".join(widths),
                )
            )
        elif describe(ours) != describe(theirs):
            hints.append(
                _("Your `{path}` is {layer}; at that place {against} has {reference}.").format(
                    path=ours.path, layer=describe(ours), against=against, reference=describe(theirs)
                )
            )
    return hints[:3]
