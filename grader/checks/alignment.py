"""Which of the student's layers plays which reference layer.

Layers are matched by what they are (type and parameter shapes) in the order
``forward`` calls them, never by attribute names: a correct module written in
another style aligns the same way. Where several layers share a shape (the
Inception's two 192→32 1×1 convolutions), every assignment is a candidate, the
call-order one first; the behaviour check tries them all.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader import settings
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


def candidate_mappings(
    reference: Sequence[Layer], student: Sequence[Layer], limit: int = settings.MAX_ASSIGNMENTS
) -> list[Mapping]:
    """Assignments of student layers to reference layers, the call-order one first."""
    groups: dict[tuple[object, ...], tuple[list[Layer], list[Layer]]] = {}
    for layer in reference:
        groups.setdefault(signature(layer), ([], []))[0].append(layer)
    for layer in student:
        if signature(layer) in groups:
            groups[signature(layer)][1].append(layer)
    per_group: list[list[list[tuple[Layer, Layer]]]] = []
    for refs, students in groups.values():
        count = min(len(refs), len(students))
        chosen = itertools.islice(itertools.permutations(students, count), limit)
        per_group.append([list(zip(refs, option, strict=False)) for option in chosen])
    order = {layer.path: index for index, layer in enumerate(reference)}
    mappings = []
    for combination in itertools.islice(itertools.product(*per_group), limit):
        pairs = [pair for group in combination for pair in group]
        pairs += _loose_pairs(reference, student, pairs)
        pairs.sort(key=lambda pair: order[pair[0].path])
        mappings.append(Mapping(tuple((r.path, s.path) for r, s in pairs)))
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
    reference_weights: dict[str, Any],
    generator: Any,
) -> dict[str, Any]:
    """Every student parameter: the reference's value where mapped, seeded noise elsewhere."""
    import torch

    by_path_ref = {layer.path: layer for layer in reference}
    by_path_student = {layer.path: layer for layer in student}
    weights: dict[str, Any] = {}
    for ref_path, student_path in mapping.pairs:
        ref, ours = by_path_ref[ref_path], by_path_student[student_path]
        available = {name: shape for name, shape in ref.params}
        for name, shape in ours.params:
            source = name if available.get(name) == shape else None
            if source is None:
                source = next((n for n, s in available.items() if s == shape), None)
            if source is not None:
                weights[ours.parameter_path(name)] = reference_weights[ref.parameter_path(source)]
                del available[source]
    for layer in student:
        for name, shape in layer.params:
            path = layer.parameter_path(name)
            if path not in weights:
                weights[path] = (torch.rand(shape, generator=generator) - 0.5) * 0.2
    return weights
