"""The Inception exercise's own hints: its four branches, joined along the channels in order.

Loaded by the judge (grader/checks/exercise_hints.py) beside the engine's hints, which know
layers and shapes but not branches.
"""

from __future__ import annotations

import re

import torch

from grader import settings
from grader.checks.layers import shape_text
from grader.failures import Failure, FailureKind
from grader.i18n import _
from grader.sandbox.messages import Structure

_CAT_OPS = ("cat", "concat", "concatenate")
_RAISED = (FailureKind.FORWARD_RAISED, FailureKind.BUILDER_RAISED, FailureKind.IMPORT_ERROR)


def structure_hints(student: Structure, reference: Structure) -> list[str]:
    """The branches joined along another dimension than the reference's (and torch let it)."""
    reference_dims = {op.dim for op in reference.ops if op.name in _CAT_OPS}
    wrong = [op for op in student.ops if op.name in _CAT_OPS and op.dim not in reference_dims]
    if not wrong or not reference_dims:
        return []
    expected = sorted(d for d in reference_dims if d is not None)
    return [
        _(
            "You concatenate with torch.cat(..., dim={dim}); the branches are joined along "
            "the channels, dim={expected}, giving {shape}."
        ).format(
            dim=wrong[0].dim,
            expected=expected[0] if expected else 1,
            shape=shape_text(reference.output.shape),
        )
    ]


def output_hints(found: torch.Tensor, expected: torch.Tensor, reference: Structure) -> list[str]:
    """Every branch right, the output wrong: the branches joined in another order?"""
    if found.shape != expected.shape or found.dim() != 4:
        return []
    swapped = _channel_blocks(found, expected)
    return [swapped] if swapped else []


def failure_hints(failure: Failure) -> list[str]:
    """torch.cat refused the branches: joined along the wrong dimension, or sizes that differ."""
    if failure.kind not in _RAISED:
        return []
    joined = re.search(r"Sizes of tensors must match except in dimension (\d+)", failure.message)
    if joined and joined.group(1) != "1":
        return [
            _(
                "You concatenate along dimension {dim}; the branches are joined along the "
                "channels: torch.cat([x1, x2, x3, x4], dim=1)."
            ).format(dim=joined.group(1))
        ]
    if joined:
        return [
            _(
                "torch.cat needs every branch to keep the same height and width: check the padding "
                "of each convolution (padding='same') and of the pooling layer."
            )
        ]
    return []


def _channel_blocks(found: torch.Tensor, expected: torch.Tensor) -> str:
    """Spot branches concatenated in another order: channels that match, but elsewhere."""
    channels = expected.shape[1]
    ours = found.to(torch.float64).transpose(0, 1).reshape(channels, -1)
    theirs = expected.to(torch.float64).transpose(0, 1).reshape(channels, -1)
    tolerance = settings.ATOL * max(1.0, float(theirs.abs().max())) + settings.RTOL * theirs.abs()

    def same(ours_channel: int, their_channel: int) -> bool:
        difference = (ours[ours_channel] - theirs[their_channel]).abs()
        return bool((difference <= tolerance[their_channel]).all())

    # Equal channels have equal sums and sums of squares: only the few reference channels
    # nearest by those are compared value by value (comparing every pair at once held a
    # channels × channels × values tensor, 50 MB at the probe's size and seconds at the seed's).
    def signature(values: torch.Tensor) -> torch.Tensor:
        return torch.stack([values.sum(dim=1), values.square().sum(dim=1)], dim=1)

    distances = torch.cdist(signature(ours), signature(theirs))
    nearest = distances.topk(min(3, channels), dim=1, largest=False).indices
    moved = []
    for channel in range(channels):
        if same(channel, channel):
            continue
        matches = sorted(int(j) for j in nearest[channel] if same(channel, int(j)))
        if matches:
            moved.append((channel, matches[0]))
    if moved and len(moved) >= channels // 4:
        first, source = moved[0]
        return _(
            "Your output channel {channel} equals the reference's channel {source}: the branches "
            "seem to be concatenated in another order. Join them as torch.cat([x1, x2, x3, x4], dim=1) "
            "with the 1×1, 3×3, 5×5 and pooling branches in that order."
        ).format(channel=first, source=source)
    return ""
