"""AlexNet's own hints: the adaptive pool that lets the classifier take any input size.

Loaded by the judge (grader/checks/exercise_hints.py) beside the engine's hints.
"""

from __future__ import annotations

from grader.failures import Failure, FailureKind
from grader.i18n import _
from grader.sandbox.messages import Structure

_POOLS = ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d")


def failure_hints(failure: Failure) -> list[str]:
    """A linear layer that cannot take the features: sized for 224×224 inputs only."""
    # torch's words for it on the CPU and on the meta device.
    mismatch = ("mat1 and mat2 shapes cannot be multiplied", "must have same reduction dim")
    if failure.kind is FailureKind.FORWARD_RAISED and any(words in failure.message for words in mismatch):
        return [
            _(
                "The first Linear takes 256·6·6 = 9216 features, which a 224×224 image gives only by "
                "chance: AlexNet pools adaptively to 6×6 first (nn.AdaptiveAvgPool2d((6, 6))), so that "
                "any input of at least 63×63 works."
            )
        ]
    return []


def structure_hints(student: Structure, reference: Structure) -> list[str]:
    """The reference pools adaptively before its classifier; the student's module does not."""
    theirs = any(layer.type in _POOLS for layer in reference.called_layers)
    ours = any(layer.type in _POOLS for layer in student.called_layers) or any(
        op.name.startswith("adaptive_") for op in student.ops
    )
    if theirs and not ours:
        return [
            _(
                "Your module has no adaptive pool before the classifier: the reference's "
                "nn.AdaptiveAvgPool2d((6, 6)) makes the features 256×6×6 whatever the input size."
            )
        ]
    return []
