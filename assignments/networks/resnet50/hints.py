"""ResNet-50's own hints: the projection shortcuts, and their BatchNorm.

Loaded by the judge (grader/checks/exercise_hints.py) beside the engine's hints and the
per-stage summary, which say where layers are missing but not that they form a shortcut.
"""

from __future__ import annotations

from collections import Counter

from grader.i18n import _, ngettext
from grader.sandbox.messages import Layer, Structure

#: The stage whose first block changes the channels to these, in the paper's names.
STAGE_OF = {256: "conv2_1", 512: "conv3_1", 1024: "conv4_1", 2048: "conv5_1"}


def _projection(layer: Layer) -> tuple[int, int] | None:
    """(in, out) of a 1×1 convolution that widens to a stage's output channels, or None.

    The main path's last 1×1 convolution widens by the expansion, 4 (128→512); a projection
    shortcut by 2 (256→512), except conv2_1's, 64→256, which only the count tells apart.
    """
    config = layer.config
    if layer.type != "Conv2d" or config.get("kernel_size") != [1, 1]:
        return None
    channels_in, channels_out = config.get("in_channels"), config.get("out_channels")
    if channels_out not in STAGE_OF or not isinstance(channels_in, int) or channels_in >= channels_out:
        return None
    return channels_in, channels_out


def _blocks(structure: Structure) -> Counter[tuple[object, object]]:
    """The 3×3 convolutions, one a block: how many blocks of each width there are."""
    return Counter(
        (layer.config.get("in_channels"), layer.config.get("out_channels"))
        for layer in structure.weighted_layers
        if layer.type == "Conv2d" and layer.config.get("kernel_size") == [3, 3]
    )


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
    # A widening 1×1 convolution too few is a missing shortcut only where no block is missing.
    missing = theirs - ours if _blocks(student) == _blocks(reference) else Counter()
    for (channels_in, channels_out), count in sorted(missing.items()):
        if count > 1:
            hint = _(
                "No projection shortcut where the channels change at {stage}: the reference adds a "
                "1×1 convolution {channels_in}→{channels_out} (and a BatchNorm) on the shortcut of the "
                "stage's first block, so that it can be added to the block's output. ({count} missing)"
            )
        else:
            hint = _(
                "No projection shortcut where the channels change at {stage}: the reference adds a "
                "1×1 convolution {channels_in}→{channels_out} (and a BatchNorm) on the shortcut of the "
                "stage's first block, so that it can be added to the block's output."
            )
        hints.append(
            hint.format(
                stage=STAGE_OF[channels_out], channels_in=channels_in, channels_out=channels_out, count=count
            )
        )
    if not hints and ours == theirs:
        bare = [
            stage for channels, stage in STAGE_OF.items() if norms_theirs[channels] > norms_ours[channels]
        ]
        if bare:
            hints.append(
                ngettext(
                    "The projection shortcut of {stages} has no BatchNorm: the reference's is a 1×1 "
                    "convolution followed by a BatchNorm2d of its output channels.",
                    "The projection shortcuts of {stages} have no BatchNorm: the reference's is a 1×1 "
                    "convolution followed by a BatchNorm2d of its output channels.",
                    len(bare),
                ).format(stages=", ".join(bare))
            )
    return hints
