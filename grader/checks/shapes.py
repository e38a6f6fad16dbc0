"""Output shapes at the exercise's full sizes, computed on the meta device (nothing allocated)."""

from __future__ import annotations

from typing import Any

from grader.checks import behaviour, stages
from grader.checks.diff import applied_counts, layer_table, nearest
from grader.checks.feedback import fail
from grader.checks.hints import for_structures
from grader.checks.layers import shape_text
from grader.checks.probe import fail_with, ignored_arguments, structure_or_fail
from grader.failures import FailureKind
from grader.i18n import _
from grader.judge.session import ConfigurationFacts, Reference, Student, probe_input
from grader.sandbox.client import RunOutput, SubmissionFailed
from grader.sandbox.messages import numel


def output_shape(student: Student, reference: Reference, configuration: str = "default") -> None:
    """The output shape for the configuration's input equals the stated (or reference) one."""
    facts = reference.facts(configuration)
    config = facts.configuration
    structure = structure_or_fail(student, configuration)
    expected = facts.output_shape
    if structure.output.shape == expected:
        _confirm_on_real_input(student, reference, facts, configuration)
        return
    variant = nearest(structure, facts.variants, lambda v: v.structure)
    closest = variant.structure
    fail(
        _("For an input of shape {input} the output should have shape {expected}; yours has {found}.").format(
            input=shape_text(config.input_shape),
            expected=shape_text(expected),
            found=shape_text(structure.output.shape),
        ),
        hints=for_structures(
            structure, closest, exercise=student.exercise, variant=variant.variant.description
        )
        + _channel_hint(structure.output.shape, expected)
        + ignored_arguments(student, configuration),
        layers=layer_table(
            structure.called_layers, closest.called_layers, applied=applied_counts(structure, closest)
        ),
    )


#: Largest input (elements) the shape check runs for real at the stated size, one sample.
MAX_CONFIRM_ELEMENTS = 1 << 22


def _confirm_on_real_input(
    student: Student, reference: Reference, facts: ConfigurationFacts, configuration: str
) -> None:
    """The meta-device shape is the child's word; a real output tensor is data.

    On the judge's small input, in the behaviour check's first run, which that check then
    reuses (or with zeroed parameters, for a network's large weights); where forward raises
    there (a network whose classifier fits one input size only), on one sample of the stated
    size itself: this check is about the stated size, and another input's failure is for
    the checks that use it.
    """
    probe, expected = facts.probe_shape, facts.variants[0].small_structure.output.shape
    try:
        shared = behaviour.first_run(student, reference, configuration)
        if shared is None:
            found = _real_output_shape(student, configuration, facts.inputs)
        else:
            found = _shape_of(shared)
    except SubmissionFailed as failed:
        stated = (1, *facts.configuration.input_shape[1:])
        if failed.failure.kind is not FailureKind.FORWARD_RAISED or numel(stated) > MAX_CONFIRM_ELEMENTS:
            fail_with(failed, student, configuration)
        import torch

        generator = torch.Generator().manual_seed(
            student.session.seed(student.exercise.id, configuration, "stated")
        )
        probe, expected = stated, (1, *facts.output_shape[1:])
        try:
            found = _real_output_shape(student, configuration, probe_input(stated, generator))
        except SubmissionFailed as again:
            fail_with(again, student, configuration)
    if found != expected:
        fail(
            _(
                "On the meta device your module's output has the expected shape, but on a real input "
                "of shape {probe} it returns {found} where the reference returns {expected}: the module "
                "must compute the same shapes on every device and for every input size."
            ).format(probe=shape_text(probe), found=shape_text(found), expected=shape_text(expected))
        )


def _real_output_shape(student: Student, configuration: str, inputs: Any) -> tuple[int, ...] | None:
    """The output's shape on a real input. The parameters are zeros (values do not change a
    shape), so the child skips torch's initialisers and no weights are sent: a second and
    553 MB saved for a VGG16."""
    return _shape_of(student.run(configuration, inputs, zeroed=True))


def _shape_of(run: RunOutput) -> tuple[int, ...] | None:
    return None if run.tensor is None else tuple(run.tensor.shape)


def intermediate_shapes(student: Student, reference: Reference, configuration: str = "default") -> None:
    """Shapes the exercise states for the output of given layers (e.g. after the conv)."""
    facts = reference.facts(configuration)
    structure = structure_or_fail(student, configuration)
    for stated in facts.configuration.intermediate:
        layers = [layer for layer in structure.called_layers if layer.type == stated.layer_type]
        description = _(stated.description)  # the course's text: its catalog translates it
        if len(layers) < stated.occurrence:
            fail(
                _("Expected a {layer_type} layer in forward ({description}); found {count}.").format(
                    layer_type=stated.layer_type, description=description, count=len(layers)
                ),
                layers=layer_table(structure.called_layers, facts.variants[0].structure.called_layers),
            )
        found = layers[stated.occurrence - 1].output_shape
        if found != stated.shape:
            # The English description starts the sentence; a translation is shown as written.
            opening = description.capitalize() if description == stated.description else description
            fail(
                _("{description} should have shape {expected}; yours has {found}.").format(
                    description=opening, expected=shape_text(stated.shape), found=shape_text(found)
                ),
                hints=for_structures(structure, facts.variants[0].structure, exercise=student.exercise),
                layers=layer_table(structure.called_layers, facts.variants[0].structure.called_layers),
            )


def stage_shapes(student: Student, reference: Reference, configuration: str = "default") -> None:
    """Each stage the statement names ends with its stated shape, in order (on meta)."""
    facts = reference.facts(configuration)
    structure = structure_or_fail(student, configuration)
    why = stages.missing_stage(structure, student.exercise)
    if why is None:
        return
    variant = nearest(structure, facts.variants, lambda v: v.structure)
    fail(
        why,
        hints=for_structures(
            structure, variant.structure, exercise=student.exercise, variant=variant.variant.description
        ),
        layers=layer_table(
            structure.called_layers,
            variant.structure.called_layers,
            applied=applied_counts(structure, variant.structure),
        ),
    )


def _channel_hint(found: tuple[int, ...] | None, expected: tuple[int, ...]) -> list[str]:
    if found is None or len(found) != len(expected) or len(found) < 2:
        return []
    if found[1] != expected[1] and found[0] == expected[0] and found[2:] == expected[2:]:
        return [
            _(
                "The output has {found} channels instead of {expected}: check each layer's out_channels."
            ).format(found=found[1], expected=expected[1])
        ]
    return []
