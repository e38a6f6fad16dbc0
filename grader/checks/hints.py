"""Targeted hints for the mistakes the seed warns about or invites.

The engine's hints speak of layers, shapes, tensors and devices, whatever the exercise; each
function here also adds the exercise's own hints (its hints.py, grader/checks/exercise_hints.py),
which may speak of its branches and shortcuts.
"""

from __future__ import annotations

from typing import Any

from grader.checks import stages
from grader.checks.diff import align, applied_counts, structural_hints
from grader.checks.exercise_hints import ExerciseHints
from grader.checks.layers import effective_padding, shape_text
from grader.course import Exercise
from grader.failures import Failure, FailureKind
from grader.i18n import N_, _
from grader.sandbox.messages import Layer, OutputInfo, Structure

# Marked here, translated where they are used: ``_(RELU_CALL_HINT)``.
RELU_CALL_HINT = N_(
    "`x = nn.ReLU(x)` builds a new ReLU layer instead of applying one (the seed's closing "
    "note). Create the layer once and call it: `relu = nn.ReLU()` then `x = relu(x)`, or use "
    "`torch.nn.functional.relu(x)`."
)
DEVICE_HINT = N_(
    "Your forward creates a tensor on the CPU. Create it where the input lives, e.g. "
    "`torch.zeros(..., device=x.device)` or `torch.zeros_like(x)`, or register it as a buffer."
)
_LOOP_HINT = N_("Look for a loop that never ends, or work far larger than the exercise needs.")
#: What to try for each kind of failure that says it all by itself (``{builder}``: the exercise's
#: builder function; ``{where}``: file:line in the submission).
_FIXED_HINTS = {
    FailureKind.NOT_IMPLEMENTED: N_(
        "Fill in {builder}(): the stub from student_template/ still raises NotImplementedError."
    ),
    FailureKind.SYNTAX_ERROR: N_("Fix the syntax error at {where}; the file cannot be imported until then."),
    FailureKind.MISSING_BUILDER: N_(
        "Define `def {builder}(...)` with the signature given in student_template/."
    ),
    FailureKind.TIMEOUT: _LOOP_HINT,
    FailureKind.CPU_LIMIT: _LOOP_HINT,
    FailureKind.MEMORY_LIMIT: N_(
        "The exercise needs little memory: look for tensors far larger than its shapes, or a list "
        "that keeps growing."
    ),
    FailureKind.CHILD_CODE_FAILED: N_(
        "Do not patch torch, builtins or the grader: only what your module computes is graded."
    ),
    FailureKind.EXITED: N_("Do not exit: return the module from the builder and the tensor from forward."),
    FailureKind.SIGNAL: N_("The process crashed; the output below may say where."),
}


def for_failure(failure: Failure, *, exercise: Exercise) -> list[str]:
    """What to try, chosen by the kind of failure; for an exception in student code, also
    by torch's own error text (torch's errors have no types of their own); then the
    exercise's own hints."""
    hints = _engine_failure_hints(failure, builder=exercise.builder)
    return hints + ExerciseHints.load(exercise).for_failure(failure)


def _engine_failure_hints(failure: Failure, *, builder: str) -> list[str]:
    kind = failure.kind
    if kind in _FIXED_HINTS:
        return [_(_FIXED_HINTS[kind]).format(builder=builder, where=failure.where)]
    if kind not in (FailureKind.FORWARD_RAISED, FailureKind.BUILDER_RAISED, FailureKind.IMPORT_ERROR):
        return []
    text = failure.message
    hints = []
    if "ReLU" in text and ("got (ReLU" in text or "'ReLU'" in text or "ReLU object" in text):
        hints.append(_(RELU_CALL_HINT))
    if "is not on the expected device" in text or "Expected all tensors to be on the same device" in text:
        hints.append(_(DEVICE_HINT))
    if "channels" in text and ("expected input" in text or "to have" in text):
        hints.append(
            _(
                "A layer receives a different number of channels than it was built for: each "
                "layer's in_channels must equal the previous layer's out_channels."
            )
        )
    return hints


def for_output(output: OutputInfo) -> list[str]:
    if output.kind == "module":
        returned = _("forward returned a {type} layer instead of a tensor.").format(type=output.type_name)
        return [returned + " " + _(RELU_CALL_HINT)]
    if output.kind == "other":
        return [_("forward must return a tensor; it returned a {type}.").format(type=output.type_name)]
    return []


def for_structures(
    student: Structure,
    reference: Structure,
    *,
    exercise: Exercise,
    variant: str = "",
    full_size: tuple[Structure, Structure] | None = None,
) -> list[str]:
    """Compare what forward did with what the reference's (``variant``'s) forward did; then
    the exercise's own hints on the same two structures.

    A network's stages (exercise.toml) are summarised first, from the two structures at the
    size its stages are stated for (``full_size``, else these). Where whole blocks are missing
    or extra, the summary says so and the layer-by-layer activation hints, which would only
    repeat it block by block, are left out.
    """
    summary = stages.summary(*(full_size or (student, reference)), exercise)
    hints = summary + _padding(student.called_layers, reference.called_layers)
    hints += structural_hints(
        student.called_layers,
        reference.called_layers,
        variant=variant,
        applied=applied_counts(student, reference),
        activations=not summary,
    )
    hints += _bias(student.weighted_layers, reference.weighted_layers)
    hints += ExerciseHints.load(exercise).for_structures(student, reference)
    return hints


def for_differing_outputs(
    found: Any, expected: Any, reference: Structure, *, exercise: Exercise
) -> list[str]:
    """Every layer computes what the reference's does, but the outputs differ: how layers are
    combined is the exercise's own (its branches, its shortcut), so only its hints speak."""
    return ExerciseHints.load(exercise).for_outputs(found, expected, reference)


def _same_padding(layer: Layer) -> bool:
    padding = layer.config.get("padding")
    kernel = layer.config.get("kernel_size")
    if padding == "same":
        return True
    if isinstance(kernel, list) and isinstance(padding, list):
        return all(p * 2 + 1 == k for p, k in zip(padding, kernel, strict=False))
    return False


def _padding(student: tuple[Layer, ...], reference: tuple[Layer, ...]) -> list[str]:
    hints = []
    for ours in student:
        kernel = ours.config.get("kernel_size")
        if ours.type != "Conv2d" or not isinstance(kernel, list) or kernel[0] <= 1:
            continue
        if _same_padding(ours):
            continue
        keeps_size = [r for r in reference if r.type == "Conv2d" and r.config.get("kernel_size") == kernel]
        if keeps_size and all(_same_padding(r) for r in keeps_size):
            size = kernel[0]
            padding = effective_padding(ours)
            if padding and len(set(padding)) == 1:
                padding = padding[0]
            hints.append(
                _(
                    "Your {size}×{size} Conv2d `{path}` has padding={padding}, so it shrinks the image by "
                    "{shrink} pixels (output {shape}); did you forget padding='same' (or padding={half})?"
                ).format(
                    size=size,
                    path=ours.path,
                    padding=padding,
                    shrink=size - 1,
                    shape=shape_text(ours.output_shape),
                    half=size // 2,
                )
            )
    return hints


def _bias(student: tuple[Layer, ...], reference: tuple[Layer, ...]) -> list[str]:
    """Layers without a bias where the reference's layer they align with has one (a network's
    convolutions before BatchNorm rightly have none, its last Linear has one)."""
    missing = [
        pair.student.path
        for pair in align(student, reference)
        if pair.student is not None
        and pair.reference is not None
        and pair.student.config.get("bias") is False
        and pair.reference.config.get("bias") is True
    ]
    if not missing:
        return []
    layers = ", ".join(f"`{p}`" for p in missing[:5])
    if len(missing) > 5:
        return [
            _(
                "{layers} and {more} more has no bias (bias=False?); the reference's layer there keeps "
                "the default bias=True."
            ).format(layers=layers, more=len(missing) - 5)
        ]
    return [
        _(
            "{layers} has no bias (bias=False?); the reference's layer there keeps the default bias=True."
        ).format(layers=layers)
    ]
