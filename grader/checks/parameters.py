"""The parameter count equals an accepted variant's."""

from __future__ import annotations

from collections import Counter

from grader.checks import alignment
from grader.checks.diff import applied_counts, layer_table, nearest
from grader.checks.feedback import fail
from grader.checks.hints import for_structures
from grader.checks.probe import fail_with, ignored_arguments, structure_or_fail
from grader.failures import FailureKind
from grader.i18n import _
from grader.judge.session import ConfigurationFacts, Reference, Student
from grader.judge.weights import Uniform, mix, noise
from grader.sandbox.client import SubmissionFailed
from grader.sandbox.messages import numel


def count(student: Student, reference: Reference, configuration: str = "default") -> None:
    """Total trainable parameters equal one accepted variant's at this configuration."""
    facts = reference.facts(configuration)
    structure = structure_or_fail(student, configuration)
    counts = {v.variant.id: v.structure.parameter_count for v in facts.variants}
    for variant_id, expected in counts.items():
        if structure.parameter_count == expected:
            _all_used(student, facts, configuration, expected)
            student.note(parameter_variant=variant_id)
            return
    closest = nearest(structure, facts.variants, lambda v: v.structure)
    kwargs = facts.configuration.kwargs
    found, expected = f"{structure.parameter_count:,}", _accepted(counts)
    if kwargs:
        arguments = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        message = _("Your module with {arguments} has {found} parameters; expected {expected}.").format(
            arguments=arguments, found=found, expected=expected
        )
    else:
        message = _("Your module has {found} parameters; expected {expected}.").format(
            found=found, expected=expected
        )
    fail(
        message,
        hints=for_structures(
            structure,
            closest.structure,
            exercise=student.exercise,
            variant=closest.variant.description,
        )
        + ignored_arguments(student, configuration),
        layers=layer_table(
            structure.called_layers,
            closest.structure.called_layers,
            applied=applied_counts(structure, closest.structure),
        ),
    )


def _accepted(counts: dict[str, int]) -> str:
    """Each accepted count once, with the variants that have it."""
    variants: dict[int, list[str]] = {}
    for variant, number in counts.items():
        variants.setdefault(number, []).append(variant)
    return _(" or ").join(f"{number:,} ({', '.join(names)})" for number, names in variants.items())


def _all_used(student: Student, facts: ConfigurationFacts, configuration: str, expected: int) -> None:
    """Parameters that never change the output do not count.

    Each parameter that is not in a layer shaped like one the reference calls is perturbed
    in turn (layers forward never calls, extra tensors, odd shapes); if the output stays the
    same, it is unused.
    """
    import torch

    try:
        structure = student.structure(configuration, facts.probe_shape)
    except SubmissionFailed as failed:
        if failed.failure.kind is FailureKind.FORWARD_RAISED:
            return  # forward fails at the judge's input size: the behaviour checks say so
        raise
    expected_layers = Counter(
        alignment.signature(layer) for v in facts.variants for layer in v.small_structure.weighted_layers
    )
    suspects = []
    for layer in structure.layers:
        if layer.calls and expected_layers[alignment.signature(layer)] > 0:
            expected_layers[alignment.signature(layer)] -= 1
        else:
            suspects.append(layer)
    params = [(layer.parameter_path(name), shape) for layer in suspects for name, shape in layer.params]
    if not params:
        return
    seed = student.session.seed(student.exercise.id, configuration, "usage")
    every = [
        (layer.parameter_path(name), shape) for layer in structure.layers for name, shape in layer.params
    ]
    base = {path: noise(path, shape, seed) for path, shape in every}
    try:
        reference = student.run(configuration, facts.inputs[:1], weights=base).tensor
        if reference is None:
            return  # what forward returns is the other checks' business
        unused = []
        for path, shape in params:
            moved = Uniform.of(path, shape, 1.0, 2.0, mix(seed, "moved", path))
            found = student.run(configuration, facts.inputs[:1], weights={**base, path: moved}).tensor
            if found is not None and found.shape == reference.shape and torch.equal(found, reference):
                unused.append((path, shape))
    except SubmissionFailed as failed:
        fail_with(failed, student, configuration)
    if not unused:
        return
    wasted = sum(numel(shape) for _path, shape in unused)
    names = ", ".join(f"`{path}` ({numel(shape):,})" for path, shape in unused[:5])
    fail(
        _(
            "Your module has {count} parameters, but forward never uses {unused} of them: {names}. "
            "Only parameters that affect the output count, which leaves {left}."
        ).format(count=f"{expected:,}", unused=f"{wasted:,}", names=names, left=f"{expected - wasted:,}"),
        hints=[_("Remove parameters and layers that forward does not use.")],
    )
