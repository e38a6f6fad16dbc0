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
        fail(f"forward returned a {run.info.type_name}, not a tensor.", hints=for_output(run.info))
    if run.info.device != "meta":
        fail(
            f"With the module and its input on the meta device, forward returned "
            f"{run.info.type_name} on {run.info.device or 'no device'}: the output should stay on "
            f"the input's device.",
            hints=[DEVICE_HINT],
        )


def _on_cuda(student: Student, configuration: str, inputs: object) -> None:
    cpu = student.run(configuration, inputs, device="cpu")
    gpu = student.run(configuration, inputs, device="cuda")
    # The tensor crosses back to the judge's CPU; where forward made it is in its description.
    if gpu.tensor is None or gpu.info.device != "cuda":
        where = "no tensor" if gpu.tensor is None else f"a tensor on {gpu.info.device}"
        fail(f"With the module and input on CUDA, forward returned {where}.", hints=[DEVICE_HINT])
    if cpu.tensor is None or not close(gpu.tensor, cpu.tensor):
        detail = (
            f"largest difference {largest_difference(gpu.tensor, cpu.tensor):.3g}"
            if cpu.tensor is not None and cpu.tensor.shape == gpu.tensor.shape
            else f"shape {shape_text(tuple(gpu.tensor.shape))}"
        )
        fail(f"On CUDA your module computes something different from on the CPU ({detail}).")
