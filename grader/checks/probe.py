"""Asking the student's child, with its failures turned into feedback."""

from __future__ import annotations

from typing import NoReturn

from grader.checks.feedback import fail
from grader.checks.hints import for_failure, for_output
from grader.checks.layers import shape_text
from grader.failures import FailureKind
from grader.i18n import _
from grader.judge.session import Student
from grader.sandbox.client import SubmissionFailed
from grader.sandbox.messages import Structure


def structure_or_fail(
    student: Student, configuration: str, shape: tuple[int, ...] | None = None
) -> Structure:
    """The student's module traced on meta; a failure of their code fails the check."""
    try:
        structure = student.structure(configuration, shape)
    except SubmissionFailed as failed:
        fail_with(failed, student, configuration)
    if structure.output.kind != "tensor":
        fail(
            _("forward returned a {type}, not a tensor.").format(type=structure.output.type_name),
            hints=for_output(structure.output),
        )
    return structure


def fail_with(failed: SubmissionFailed, student: Student, configuration: str = "default") -> NoReturn:
    failure = failed.failure
    hints = for_failure(failure, exercise=student.exercise)
    if failure.kind is FailureKind.FORWARD_RAISED and configuration != "default":
        hints += _fails_only_with_arguments(student, configuration)
    fail(
        failure.message,
        hints=hints,
        output=failure.output,
        traceback=failure.traceback,
        failure=failure.kind,
    )


def _fails_only_with_arguments(student: Student, configuration: str) -> list[str]:
    """Forward raised at another configuration: a hint where the default one works at the same
    input sizes (the builder ignores its arguments), or, for another input size alone, where the
    statement's size works (a layer fixes the input size)."""
    config = student.exercise.configuration(configuration)
    stated = student.exercise.configuration("default").input_shape
    try:
        if not config.kwargs:
            student.structure("default")
            return [
                _(
                    "Your module works for the statement's input {stated} but not for {shape}, which "
                    "the reference accepts: does a layer fix the input size (a Linear sized for one "
                    "image size, without an adaptive pool before it)?"
                ).format(stated=shape_text(stated), shape=shape_text(config.input_shape))
            ]
        student.structure("default")
        if config.small_input_shape == student.exercise.configuration("default").small_input_shape:
            # Arguments that keep the input (num_classes): the default ones at the same small size.
            student.structure("default", config.small_input_shape)
    except SubmissionFailed:
        return []  # the default arguments fail there too: not a matter of arguments
    arguments = ", ".join(f"{k}={v}" for k, v in config.kwargs.items())
    return [
        _(
            "Your module works with the default arguments but not with {arguments}: does the builder "
            "use its arguments instead of fixed numbers?"
        ).format(arguments=arguments)
    ]


def ignored_arguments(student: Student, configuration: str) -> list[str]:
    """A hint when a builder makes the default-sized module whatever it is asked."""
    config = student.exercise.configuration(configuration)
    if not config.kwargs:
        return []
    try:
        here = student.structure(configuration, config.small_input_shape)
        default = student.structure("default")
    except SubmissionFailed:
        return []
    if here.parameter_count != default.parameter_count:
        return []
    arguments = ", ".join(f"{k}={v}" for k, v in config.kwargs.items())
    return [
        _(
            "Called with {arguments}, your builder makes a module as large as the default one: "
            "does it use its arguments instead of fixed numbers?"
        ).format(arguments=arguments)
    ]
