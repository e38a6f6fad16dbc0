"""The checks an exercise's tests call. Each raises CheckFailed with feedback, or returns."""

from grader.checks import behaviour, device, modules, parameters, shapes
from grader.checks.feedback import CheckFailed
from grader.checks.policy import enforced
from grader.report.record import Feedback

# Each check first applies the exercise's policy (``forbid``): a module built from a forbidden
# library fails every check with the reason.
matches_reference = enforced(behaviour.matches_reference)
runs_on_device = enforced(device.runs_on_device)
required_layers = enforced(modules.required_layers)
parameter_count = enforced(parameters.count)
intermediate_shapes = enforced(shapes.intermediate_shapes)
output_shape = enforced(shapes.output_shape)
stage_shapes = enforced(shapes.stage_shapes)

__all__ = [
    "CheckFailed",
    "Feedback",
    "intermediate_shapes",
    "matches_reference",
    "output_shape",
    "parameter_count",
    "required_layers",
    "runs_on_device",
    "stage_shapes",
]
