"""The module runs on an accelerator: on CUDA where there is one, else on the meta device.

On meta, a tensor created on the CPU inside forward (``torch.zeros(n)`` without
``device=``) fails exactly as it would on a GPU, so the common bug is caught on
any machine. Same points either way; the report says which device was used.
"""

from __future__ import annotations

from grader.checks.behaviour import close, largest_difference
from grader.checks.feedback import fail
from grader.checks.hints import DEVICE_HINT, for_output
from grader.checks.layers import shape_text
from grader.checks.probe import fail_with
from grader.i18n import _
from grader.judge.session import Reference, Student
from grader.sandbox.client import SubmissionFailed


def runs_on_device(student: Student, reference: Reference, configuration: str = "default") -> None:
    """forward runs with the module and input on the device, and the output stays there."""
    device = student.session.device
    student.note(device=device)
    facts = reference.facts(configuration)
    try:
        if device == "cuda":
            _on_cuda(student, configuration, facts.inputs)
        else:
            # At the stated input size: on meta it costs nothing, and it is the size the statement gives.
            _on_meta(student, configuration, facts.configuration.input_shape)
    except SubmissionFailed as failed:
        fail_with(failed, student, configuration)


def _on_meta(student: Student, configuration: str, shape: tuple[int, ...]) -> None:
    run = student.run(configuration, shape, device="meta")
    if run.info.kind != "tensor":
        fail(
            _("forward returned a {type}, not a tensor.").format(type=run.info.type_name),
            hints=for_output(run.info),
        )
    if run.info.device != "meta":
        if run.info.device:
            message = _(
                "With the module and its input on the meta device, forward returned {type} on {device}: "
                "the output should stay on the input's device."
            ).format(type=run.info.type_name, device=run.info.device)
        else:
            message = _(
                "With the module and its input on the meta device, forward returned {type} on no device: "
                "the output should stay on the input's device."
            ).format(type=run.info.type_name)
        fail(message, hints=[_(DEVICE_HINT)])


def _on_cuda(student: Student, configuration: str, inputs: object) -> None:
    cpu = student.run(configuration, inputs, device="cpu")
    gpu = student.run(configuration, inputs, device="cuda")
    # The tensor crosses back to the judge's CPU; where forward made it is in its description.
    if gpu.tensor is None or gpu.info.device != "cuda":
        if gpu.tensor is None:
            message = _("With the module and input on CUDA, forward returned no tensor.")
        else:
            message = _("With the module and input on CUDA, forward returned a tensor on {device}.").format(
                device=gpu.info.device
            )
        fail(message, hints=[_(DEVICE_HINT)])
    if cpu.tensor is None or not close(gpu.tensor, cpu.tensor):
        if cpu.tensor is not None and cpu.tensor.shape == gpu.tensor.shape:
            message = _(
                "On CUDA your module computes something different from on the CPU "
                "(largest difference {difference})."
            ).format(difference=f"{largest_difference(gpu.tensor, cpu.tensor):.3g}")
        else:
            message = _(
                "On CUDA your module computes something different from on the CPU (shape {shape})."
            ).format(shape=shape_text(tuple(gpu.tensor.shape)))
        fail(message)
