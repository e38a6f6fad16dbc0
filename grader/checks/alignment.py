"""Which of the student's layers plays which reference layer.

Layers are matched by what they are (type and parameter shapes) in the order
``forward`` calls them, never by attribute names: a correct module written in
another style aligns the same way. Where several layers share a shape (the
Inception's two 192→32 1×1 convolutions), other assignments are candidates too,
the call-order one first; the behaviour check tries them in turn.

The candidates stay few however large the network: the call-order mapping, then,
for one group of interchangeable layers at a time (the others in call order),
that group's other orders — all of them for a group of up to
``MAX_PERMUTED_GROUP`` layers (branches joined in another order); a larger group
(VGG16's five 512→512 convolutions, ResNet-50's identical blocks) is taken in
call order, the order a forward calls them in. Never a product over groups.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from grader import settings
from grader.judge.weights import WeightSet, noise
from grader.sandbox.messages import Layer


@dataclass(frozen=True)
class Mapping:
    """(reference layer path, student layer path) pairs, in the reference's call order."""

    pairs: tuple[tuple[str, str], ...]

    def student_for(self, reference_path: str) -> str | None:
        for ref, student in self.pairs:
            if ref == reference_path:
                return student
        return None


def signature(layer: Layer) -> tuple[object, ...]:
    return (layer.type, tuple(shape for _, shape in layer.params))


def _loosesignature(layer: Layer) -> tuple[object, ...]:
    # Type and weight shape only: a conv with bias=False still takes the weight.
    return (layer.type, layer.params[0][1] if layer.params else None)


#: Interchangeable layers of one shape up to this many are tried in every order (4! = 24).
MAX_PERMUTED_GROUP = 4

Group = tuple[list[Layer], list[Layer]]  # (reference layers, student layers) of one signature


@dataclass(frozen=True)
class Assignment:
    """The student's layers grouped with the reference's by signature, and the orders each
    group may be tried in: ``mapping(choice)`` takes one order per group (0: call order)."""

    reference: tuple[Layer, ...]
    student: tuple[Layer, ...]
    groups: tuple[Group, ...]
    options: tuple[tuple[tuple[Layer, ...], ...], ...]  # per group: its orders, call order first

    @classmethod
    def of(cls, reference: Sequence[Layer], student: Sequence[Layer]) -> Assignment:
        by_signature: dict[tuple[object, ...], Group] = {}
        for layer in reference:
            by_signature.setdefault(signature(layer), ([], []))[0].append(layer)
        for layer in student:
            if signature(layer) in by_signature:
                by_signature[signature(layer)][1].append(layer)
        groups = tuple(by_signature.values())
        return cls(tuple(reference), tuple(student), groups, tuple(_orders(group) for group in groups))

    def mapping(self, choice: Sequence[int]) -> Mapping:
        order = {layer.path: index for index, layer in enumerate(self.reference)}
        pairs = [
            pair
            for (refs, _), options, chosen in zip(self.groups, self.options, choice, strict=True)
            for pair in zip(refs, options[chosen], strict=False)
        ]
        pairs += _loose_pairs(self.reference, self.student, pairs)
        pairs.sort(key=lambda pair: order[pair[0].path])
        return Mapping(tuple((r.path, s.path) for r, s in pairs))

    def group_of(self, reference_path: str) -> int | None:
        for index, (refs, _) in enumerate(self.groups):
            if any(layer.path == reference_path for layer in refs):
                return index
        return None

    @property
    def call_order(self) -> tuple[int, ...]:
        return (0,) * len(self.groups)


def _orders(group: Group) -> tuple[tuple[Layer, ...], ...]:
    """A group's student layers in call order, then, for a small group (branches joined in
    another order), in every other order; a large one (VGG16's five 512→512 convolutions,
    ResNet-50's identical blocks) only in call order, the order a forward calls them in."""
    refs, students = group
    count = min(len(refs), len(students))
    orders = [tuple(students)]
    if count < 2:
        return tuple(orders)
    if len(students) <= MAX_PERMUTED_GROUP:
        orders += [tuple(o) for o in itertools.islice(itertools.permutations(students, count), 1, None)]
    return tuple(orders)


def candidate_mappings(
    reference: Sequence[Layer], student: Sequence[Layer], limit: int = settings.MAX_ASSIGNMENTS
) -> list[Mapping]:
    """The call-order mapping, then each group's other orders with the rest in call order, at
    most ``limit``: their number grows with the layers, never with the orders they could take.
    (The behaviour check searches more narrowly: see ``matches_reference``.)"""
    assignment = Assignment.of(reference, student)
    mappings = [assignment.mapping(assignment.call_order)]
    for index, options in enumerate(assignment.options):
        for option in range(1, len(options)):
            if len(mappings) >= limit:
                return mappings
            choice = list(assignment.call_order)
            choice[index] = option
            mappings.append(assignment.mapping(choice))
    return mappings


def _loose_pairs(
    reference: Sequence[Layer], student: Sequence[Layer], taken: list[tuple[Layer, Layer]]
) -> list[tuple[Layer, Layer]]:
    used_refs = {r.path for r, _ in taken}
    used_students = {s.path for _, s in taken}
    free = [s for s in student if s.path not in used_students]
    pairs = []
    for ref in reference:
        if ref.path in used_refs:
            continue
        for candidate in free:
            if _loosesignature(candidate) == _loosesignature(ref):
                pairs.append((ref, candidate))
                free.remove(candidate)
                break
    return pairs


def student_weights(
    mapping: Mapping,
    reference: Sequence[Layer],
    student: Sequence[Layer],
    reference_weights: WeightSet,
    seed: int,
) -> WeightSet:
    """Every student parameter and running statistic: the reference's recipe where mapped,
    seeded noise elsewhere."""
    by_path_ref = {layer.path: layer for layer in reference}
    by_path_student = {layer.path: layer for layer in student}
    weights: WeightSet = {}
    for ref_path, student_path in mapping.pairs:
        ref, ours = by_path_ref[ref_path], by_path_student[student_path]
        for theirs, mine in ((ref.params, ours.params), (ref.buffers, ours.buffers)):
            available = dict(theirs)
            for name, shape in mine:
                source = name if available.get(name) == shape else None
                if source is None:
                    source = next((n for n, s in available.items() if s == shape), None)
                if source is not None:
                    path = ours.parameter_path(name)
                    weights[path] = reference_weights[ref.parameter_path(source)].renamed(path)
                    del available[source]
    for layer in student:
        for named, buffer in ((layer.params, False), (layer.buffers, True)):
            for name, shape in named:
                path = layer.parameter_path(name)
                if path not in weights:
                    weights[path] = noise(path, shape, seed, buffer=buffer)
    return weights
