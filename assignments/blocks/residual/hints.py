"""The residual exercise's own hints: the shortcut added, then a ReLU after the sum.

Loaded by the judge (grader/checks/exercise_hints.py) beside the engine's hints, which know
layers and shapes but not shortcuts.
"""

from __future__ import annotations

import torch

from grader.i18n import _
from grader.sandbox.messages import Structure

_ADD_OPS = {"add", "add_", "__add__", "__iadd__", "__radd__"}


def structure_hints(student: Structure, reference: Structure) -> list[str]:
    """The reference adds the shortcut to the residual; the student's forward adds nothing."""
    if not any(op.name in _ADD_OPS for op in reference.ops):
        return []
    if any(op.name in _ADD_OPS for op in student.ops):
        return []
    return [
        _(
            "Your forward never adds the shortcut: the block returns relu(residual(x) + shortcut(x)), "
            "where the shortcut is a 1×1 convolution or x itself."
        )
    ]


def output_hints(found: torch.Tensor, expected: torch.Tensor, reference: Structure) -> list[str]:
    """Every convolution right, negative outputs: the ReLU after the sum (the statement's) is missing."""
    if found.shape == expected.shape and bool((expected >= 0).all()) and bool((found < 0).any()):
        return [
            _("Your output has negative values where the reference's has none: is the final ReLU missing?")
        ]
    return []
