"""What the module computes: the reference's weights loaded into the student's layers.

The judge picks an input and weights, runs every accepted variant of the
reference on them, maps those weights onto the student's layers (by structure
and call order, trying interchangeable layers every way), runs the student's
module in eval mode, and compares. The first mapping that agrees with a variant
passes and names it; otherwise the feedback names the first layer that differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from grader import settings
from grader.checks import alignment
from grader.checks.diff import Step, align, applied_counts, layer_table, nearest
from grader.checks.feedback import fail
from grader.checks.hints import for_differing_outputs, for_structures
from grader.checks.layers import describe, named, shape_text
from grader.checks.probe import fail_with, ignored_arguments, structure_or_fail
from grader.i18n import _
from grader.judge.session import Reference, Student, VariantFacts
from grader.judge.weights import WeightSet
from grader.sandbox.client import RunOutput, SubmissionFailed
from grader.sandbox.messages import Layer, Structure

#: The name of the check on the stored input, as the course's exercises call it; the course's
#: catalog translates it (not marked here: the engine's catalog does not hold the course's texts).
BEHAVIOUR_CHECK_NAME = "Computes what the reference computes, given its weights"


@dataclass(frozen=True)
class _Attempt:
    facts: VariantFacts
    mapping: alignment.Mapping
    run: RunOutput

    @property
    def matches(self) -> bool:
        return close(self.run.tensor, self.facts.output)


def close(found: Any, expected: Any) -> bool:
    import torch

    if not isinstance(found, torch.Tensor) or found.shape != expected.shape:
        return False
    if found.is_meta or found.is_complex() or found.layout != torch.strided:
        return False
    found = found.detach().to("cpu", torch.float64)
    expected = expected.to(torch.float64)
    scale = max(1.0, float(expected.abs().max())) if expected.numel() else 1.0
    return bool(torch.allclose(found, expected, rtol=settings.RTOL, atol=settings.ATOL * scale))


def largest_difference(found: Any, expected: Any) -> float:
    import torch

    return float((found.to(torch.float64) - expected.to(torch.float64)).abs().max())


def matches_reference(
    student: Student, reference: Reference, configuration: str = "default", *, fresh: bool = False
) -> None:
    """Given the reference's weights, the student's module computes a variant's output.

    ``fresh``: on an input, input size and weights drawn from the grading machine's secret
    hidden seed, which need the reference at grading time (a hidden check), rather than on
    the stored facts.
    """

    session = student.session
    key = (student.exercise.id, configuration)
    matched = session.matched.get(key) if fresh else None
    if matched and _still_matches(student, reference, configuration, *matched):
        return
    if fresh and key in session.matched and matched is None:
        # Already different on the stored input: the fresh one cannot agree, and a second
        # explanation of the same difference would only repeat the first.
        fail(
            _(
                "Not checked on a fresh input: your module already computes something different from "
                "the reference on the stored one (see the check '{check}')."
            ).format(check=_(BEHAVIOUR_CHECK_NAME))
        )
    if not fresh:
        session.matched[key] = None  # until a mapping matches below
    # Otherwise every variant and every mapping, with layer outputs to explain a difference.
    facts = reference.fresh_facts(configuration) if fresh else reference.facts(configuration)
    structure = structure_or_fail(student, configuration, facts.probe_shape)
    search = _Search(student, configuration, facts.inputs, structure, fresh=fresh)
    for variant in facts.variants:
        found = search.variant(variant)
        if found is not None:
            student.note(variant=variant.variant.id)
            if not fresh:
                session.matched[key] = (variant.variant.id, found.mapping)
            return
    attempts = search.attempts
    _explain(
        student,
        structure,
        attempts,
        configuration,
        facts.probe_shape,
        complete=None if fresh else (lambda variant_id: reference.layer_outputs(configuration, variant_id)),
    )


class _Search:
    """Which of the student's layers plays which of a variant's, found by trying mappings.

    The call-order mapping first. When it does not match, the first reference layer whose
    output differs says which group of interchangeable layers to reorder: each of that
    group's other orders is tried, the one that agrees longest is kept, and so on with the
    next group that differs — a greedy search whose runs grow with the number of groups,
    never with the orders they could take together (VGG16's five 512→512 convolutions,
    ResNet-50's sixteen blocks). Every run sends one weight set; the search stops at
    ``MAX_ASSIGNMENTS`` runs or ``MAX_BEHAVIOUR_WEIGHT_BYTES`` bytes of weights.
    """

    def __init__(
        self, student: Student, configuration: str, inputs: Any, structure: Structure, *, fresh: bool
    ):
        self.student = student
        self.configuration = configuration
        self.inputs = inputs
        self.structure = structure
        parts = ["fill", "fresh"] if fresh else ["fill"]
        self.seed = student.session.seed(student.exercise.id, configuration, *parts)
        self.fresh = fresh
        self.attempts: list[_Attempt] = []
        self.sent = 0

    def variant(self, variant: VariantFacts) -> _Attempt | None:
        """The attempt that matches ``variant``, or None (its attempts are kept for feedback)."""
        assignment = self.assignment(variant)
        choice = list(assignment.call_order)
        best = self.attempt(variant, assignment.mapping(choice))
        explored: set[int] = set()
        while best is not None and not best.matches:
            first = _first_difference(best)
            # A reference layer with no counterpart: no order of the student's layers gives one.
            if first is None or best.mapping.student_for(first) is None:
                return None
            group = assignment.group_of(first)
            if group is None or group in explored:
                return None
            explored.add(group)
            improved = None
            for option in range(1, len(assignment.options[group])):
                trial = [*choice[:group], option, *choice[group + 1 :]]
                attempt = self.attempt(variant, assignment.mapping(trial))
                if attempt is None:
                    return None
                if attempt.matches:
                    return attempt
                if _agreeing_layers(attempt) > _agreeing_layers(improved or best):
                    improved, choice = attempt, trial
            best = improved or best
        return best

    def assignment(self, variant: VariantFacts) -> alignment.Assignment:
        reference = variant.small_structure.weighted_layers
        return alignment.Assignment.of(reference, self.structure.weighted_layers)

    def weights(self, variant: VariantFacts, mapping: alignment.Mapping) -> WeightSet:
        return alignment.student_weights(
            mapping,
            variant.small_structure.weighted_layers,
            self.structure.weighted_layers,
            variant.weights,
            self.seed,
        )

    def attempt(self, variant: VariantFacts, mapping: alignment.Mapping) -> _Attempt | None:
        """One run with ``mapping``'s weights; None when the search's budget is spent."""
        weights = self.weights(variant, mapping)
        size = sum(w.info.nbytes for w in weights.values())
        if self.attempts and (
            len(self.attempts) >= settings.MAX_ASSIGNMENTS
            or self.sent + size > settings.MAX_BEHAVIOUR_WEIGHT_BYTES
        ):
            return None
        self.sent += size
        try:
            run = self.run(variant, mapping, weights)
        except SubmissionFailed as failed:
            fail_with(failed, self.student, self.configuration)
        attempt = _Attempt(variant, mapping, run)
        self.attempts.append(attempt)
        return attempt

    def run(self, variant: VariantFacts, mapping: alignment.Mapping, weights: WeightSet) -> RunOutput:
        """The student's run with these weights; on the stored input, asked once per submission
        (the shape check may have asked it first: ``first_run``)."""
        if self.fresh:
            return self._ask(weights)
        runs = self.student.session.runs
        key = (self.student.exercise.id, self.configuration, variant.variant.id, mapping)
        if key not in runs:
            runs[key] = self._ask(weights)
        return runs[key]

    def _ask(self, weights: WeightSet) -> RunOutput:
        return self.student.run(self.configuration, self.inputs, weights=weights, capture_layers=True)


def first_run(student: Student, reference: Reference, configuration: str) -> RunOutput | None:
    """The behaviour check's first run on the stored input (the first variant's weights, in
    call order), asked now and kept for that check: a real output, whose shape the shape
    check confirms, for one request instead of two. None where it is not asked here: the
    module cannot be inspected at the input's size (the behaviour check says why), or its
    weights are past ``MAX_SHARED_RUN_WEIGHT_BYTES``."""
    facts = reference.facts(configuration)
    try:
        structure = student.structure(configuration, facts.probe_shape)
    except SubmissionFailed:
        return None
    search = _Search(student, configuration, facts.inputs, structure, fresh=False)
    variant = facts.variants[0]
    assignment = search.assignment(variant)
    mapping = assignment.mapping(list(assignment.call_order))
    weights = search.weights(variant, mapping)
    if sum(w.info.nbytes for w in weights.values()) > settings.MAX_SHARED_RUN_WEIGHT_BYTES:
        return None
    return search.run(variant, mapping, weights)


def _first_difference(attempt: _Attempt) -> str | None:
    """The first reference layer (in call order) whose output the student's counterpart does
    not reproduce, or that has none; None when all agree or the stored facts do not say."""
    for ref in attempt.facts.small_structure.weighted_layers:
        student_path = attempt.mapping.student_for(ref.path)
        if student_path is None:
            return ref.path
        found = (attempt.run.layers or {}).get(student_path)
        expected = attempt.facts.layer_outputs.get(ref.path)
        if expected is None:
            return None
        if found is None or not close(found, expected):
            return ref.path
    return None


def _still_matches(
    student: Student, reference: Reference, configuration: str, variant_id: str, mapping: alignment.Mapping
) -> bool:
    """On a fresh input, does what matched on the stored one still match?

    The quick path of the hidden check, for the students who passed behaviour: the matched
    variant alone, that mapping alone, no inspection (layers do not depend on the input
    size) and no layer outputs: one student run.
    """

    stored = reference.facts(configuration)
    fresh = reference.fresh_facts(configuration)
    variant = next(v for v in fresh.variants if v.variant.id == variant_id)
    try:
        structure = student.structure(configuration, stored.probe_shape)  # already asked
        weights = alignment.student_weights(
            mapping,
            variant.small_structure.weighted_layers,
            structure.weighted_layers,
            variant.weights,
            student.session.seed(student.exercise.id, configuration, "fill", "fresh"),
        )
        run = student.run(configuration, fresh.inputs, weights=weights)
    except SubmissionFailed:
        return False
    if close(run.tensor, variant.output):
        student.note(variant=variant_id)
        return True
    return False


def _explain(
    student: Student,
    structure: Structure,
    attempts: list[_Attempt],
    configuration: str,
    probe: tuple[int, ...],
    *,
    complete: Callable[[str], dict[str, Any]] | None = None,
) -> None:
    """Fail with the first layer that differs (``complete`` gives every layer's output where
    the frozen facts keep the first ones only)."""
    # Against the accepted variant that explains most of the student's layers, then the
    # mapping of layers that agrees longest with it.
    variants = list({id(a.facts): a.facts for a in attempts}.values())
    variant = nearest(structure, variants, lambda v: v.small_structure)
    best = max(
        (a for a in attempts if a.facts is variant),
        key=lambda a: (_agreeing_layers(a), _completeness(a, structure)),
    )
    student.note(closest_variant=variant.variant.id)
    reference_layers = variant.small_structure.weighted_layers
    ours = {layer.path: layer for layer in structure.layers}
    table = layer_table(
        structure.called_layers,
        variant.small_structure.called_layers,
        applied=applied_counts(structure, variant.small_structure),
    )
    try:
        full_size = (student.structure(configuration), variant.structure)
    except SubmissionFailed:
        full_size = None
    hints = for_structures(
        structure,
        variant.small_structure,
        exercise=student.exercise,
        variant=variant.variant.description,
        full_size=full_size,
    )
    hints += ignored_arguments(student, configuration)
    description = _(variant.variant.description)
    closest = (
        " "
        + _("Closest accepted answer: the {variant} variant ({description}).").format(
            variant=variant.variant.id, description=description
        )
        if len(variants) > 1
        else ""
    )
    missing = _missing(structure, variant.small_structure)
    for ref in reference_layers:
        student_path = best.mapping.student_for(ref.path)
        if student_path is None or ref.path in missing:
            fail(
                _(
                    "Your module's output differs from the reference's ({description}): the reference's "
                    "layer {layer} has no counterpart of the same type and shape in your forward."
                ).format(description=description, layer=named(ref))
                + closest,
                hints=hints,
                layers=table,
            )
        found = (best.run.layers or {}).get(student_path)
        expected = variant.layer_outputs.get(ref.path)
        if expected is None and found is not None and complete is not None:
            layer_outputs, complete = complete(variant.variant.id), None
            variant = replace(variant, layer_outputs=layer_outputs)
            expected = layer_outputs.get(ref.path)
        if expected is None and found is not None:
            # Frozen facts keep a network's first layer outputs only (facts.FROZEN_LAYER_BYTES).
            fail(
                _(
                    "Your module's output differs from the reference's ({description}). Its layers agree "
                    "with the reference's up to {layer}; the facts this grader has do not go further, so "
                    "the layer that first differs is after it."
                ).format(description=description, layer=named(ours[student_path]))
                + closest,
                hints=hints,
                layers=table,
            )
        if found is None or expected is None or close(found, expected):
            continue
        detail = (
            _("largest difference {difference:.3g}").format(difference=largest_difference(found, expected))
            if found.shape == expected.shape
            else _("its output has shape {found}, the reference's {expected}").format(
                found=shape_text(tuple(found.shape)), expected=shape_text(tuple(expected.shape))
            )
        )
        fail(
            _(
                "Given the reference's weights, your layer {layer} computes something different from the "
                "reference's {reference} on a random input of shape {shape} ({detail}): it is the first "
                "layer that differs."
            ).format(
                layer=named(ours[student_path]), reference=named(ref), shape=shape_text(probe), detail=detail
            )
            + closest,
            hints=hints + _before(structure, student_path, variant.small_structure, ref.path),
            layers=table,
        )
    if best.run.tensor is None:
        fail(_("forward did not return a tensor."), hints=hints, layers=table)
    found, expected = best.run.tensor.detach().cpu(), variant.output
    detail = (
        _("largest difference {difference:.3g}").format(difference=largest_difference(found, expected))
        if found.shape == expected.shape
        else _("shape {found} instead of {expected}").format(
            found=shape_text(tuple(found.shape)), expected=shape_text(tuple(expected.shape))
        )
    )
    fail(
        _(
            "Given the reference's weights every layer computes what the reference's does, but the "
            "module's output differs ({detail}): the layers are combined differently."
        ).format(detail=detail)
        + closest,
        hints=hints
        + for_differing_outputs(found, expected, variant.small_structure, exercise=student.exercise),
        layers=table,
    )


#: A few layers forgotten (a shortcut's BatchNorm in each stage) are named where they are missing.
MAX_ALIGNED_MISSING = 4


def _missing(student: Structure, reference: Structure) -> set[str]:
    """Reference layers the student's forward lacks: missing where the two call-ordered layer
    lists are aligned, and of a kind the student has fewer of. A mapping by signature alone
    would pair such a layer with the next one like it (a shortcut's BatchNorm with the next
    block's), and blame that one."""
    ours = Counter(describe(layer) for layer in student.weighted_layers)
    theirs = Counter(describe(layer) for layer in reference.weighted_layers)
    if sum((theirs - ours).values()) > MAX_ALIGNED_MISSING:
        # Whole blocks missing: where the alignment puts them is a guess, and the per-stage
        # summary says how many; the first layer the mapping leaves without a counterpart is named.
        return set()
    return {
        pair.reference.path
        for pair in align(student.called_layers, reference.called_layers)
        if pair.step is Step.MISSING
        and pair.reference is not None
        and pair.reference.params
        and ours[describe(pair.reference)] < theirs[describe(pair.reference)]
    }


def _completeness(attempt: _Attempt, structure: Structure) -> int:
    """Fewer layers left without a counterpart, on either side, is a closer variant."""
    pairs = len(attempt.mapping.pairs)
    reference = len(attempt.facts.small_structure.weighted_layers)
    return -((reference - pairs) + (len(structure.weighted_layers) - pairs))


def _agreeing_layers(attempt: _Attempt) -> int:
    agreeing = 0
    for ref in attempt.facts.small_structure.weighted_layers:
        student_path = attempt.mapping.student_for(ref.path)
        found = (attempt.run.layers or {}).get(student_path or "")
        expected = attempt.facts.layer_outputs.get(ref.path)
        if found is None or expected is None or not close(found, expected):
            break
        agreeing += 1
    return agreeing


def _before(structure: Structure, path: str, reference: Structure, reference_path: str) -> list[str]:
    """Compare the parameter-free layers that run just before the first differing layer."""

    def preceding(layers: tuple[Layer, ...], target: str) -> list[str]:
        names: list[str] = []
        for layer in layers:
            if layer.path == target:
                return names
            names = [] if layer.params else [*names, layer.type]
        return names

    ours = preceding(structure.called_layers, path)
    theirs = preceding(reference.called_layers, reference_path)
    if ours == theirs:
        return []
    if not theirs:
        text = _(
            "Just before this layer the reference applies nothing; yours applies {layers} (a functional "
            "call such as F.relu does not show here, but counts)."
        )
    elif not ours:
        text = _(
            "Just before this layer the reference applies {reference_layers}; yours applies nothing (a "
            "functional call such as F.relu does not show here, but counts)."
        )
    else:
        text = _(
            "Just before this layer the reference applies {reference_layers}; yours applies {layers} (a "
            "functional call such as F.relu does not show here, but counts)."
        )
    return [text.format(reference_layers=", ".join(theirs), layers=", ".join(ours))]
