"""ResNet-50's own hints: the projection shortcuts, and their BatchNorm.

Loaded by the judge (grader/checks/exercise_hints.py) beside the engine's hints and the
per-stage summary, which say where layers are missing but not that they form a shortcut.
"""

from __future__ import annotations

from collections import Counter

from grader.sandbox.messages import Layer, Structure

#: The stage whose first block changes the channels to these, in the paper's names.
STAGE_OF = {256: "conv2_1", 512: "conv3_1", 1024: "conv4_1", 2048: "conv5_1"}


def _projection(layer: Layer) -> tuple[int, int] | None:
    """(in, out) of a 1×1 convolution that widens to a stage's output channels."""
    config = layer.config
    if layer.type != "Conv2d" or config.get("kernel_size") != [1, 1]:
        return None
    channels_in, channels_out = config.get("in_channels"), config.get("out_channels")
    if channels_out not in STAGE_OF or not isinstance(channels_in, int) or channels_in >= channels_out:
        return None
    return channels_in, channels_out


def structure_hints(student: Structure, reference: Structure) -> list[str]:
    ours = Counter(filter(None, map(_projection, student.weighted_layers)))
    theirs = Counter(filter(None, map(_projection, reference.weighted_layers)))
    norms_ours = Counter(
        layer.config.get("num_features") for layer in student.weighted_layers if layer.type == "BatchNorm2d"
    )
    norms_theirs = Counter(
        layer.config.get("num_features") for layer in reference.weighted_layers if layer.type == "BatchNorm2d"
    )
    hints = []
    for (channels_in, channels_out), count in sorted((theirs - ours).items()):
        # The main path's last 1×1 convolution widens too (64→256): only a widening by a
        # factor the blocks' own convolutions do not make, or one too few, is a shortcut.
        hints.append(
            f"No projection shortcut where the channels change at {STAGE_OF[channels_out]}: the "
            f"reference adds a 1×1 convolution {channels_in}→{channels_out} (and a BatchNorm) on the "
            "shortcut of the stage's first block, so that it can be added to the block's output."
            + (f" ({count} missing)" if count > 1 else "")
        )
    if not hints and ours == theirs:
        bare = [
            stage for channels, stage in STAGE_OF.items() if norms_theirs[channels] > norms_ours[channels]
        ]
        if bare:
            many = len(bare) > 1
            hints.append(
                f"The projection shortcut{'s' if many else ''} of {', '.join(bare)} "
                f"{'have' if many else 'has'} no BatchNorm: the reference's is a 1×1 convolution "
                "followed by a BatchNorm2d of its output channels."
            )
    return hints
