"""The checks an exercise's tests call. Each raises CheckFailed with feedback, or returns."""

from grader.checks.behaviour import matches_reference
from grader.checks.device import runs_on_device
from grader.checks.feedback import CheckFailed
from grader.checks.modules import required_layers
from grader.checks.parameters import count as parameter_count
from grader.checks.shapes import intermediate_shapes, output_shape
from grader.report.record import Feedback

__all__ = [
    "CheckFailed",
    "Feedback",
    "intermediate_shapes",
    "matches_reference",
    "output_shape",
    "parameter_count",
    "required_layers",
    "runs_on_device",
]
