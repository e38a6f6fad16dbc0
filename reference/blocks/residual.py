"""Reference: the bottleneck residual block (He et al., 2016, figure 5 right).

``build_residual`` is the seed's answer: the shortcut is a 1×1 projection.
``build_residual_identity`` is the canonical block: the shortcut is the input
itself. Both are accepted; the report says which one a submission matched.
"""

import torch
from torch import nn


class Bottleneck(nn.Module):
    def __init__(self, in_channels: int, bottleneck_channels: int, *, projection: bool) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(in_channels, bottleneck_channels, 1),
            nn.ReLU(),
            nn.Conv2d(bottleneck_channels, bottleneck_channels, 3, padding="same"),
            nn.ReLU(),
            nn.Conv2d(bottleneck_channels, in_channels, 1),
        )
        self.shortcut = nn.Conv2d(in_channels, in_channels, 1) if projection else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.residual(x) + self.shortcut(x))


def build_residual(in_channels=256, bottleneck_channels=64) -> nn.Module:
    return Bottleneck(in_channels, bottleneck_channels, projection=True)


def build_residual_identity(in_channels=256, bottleneck_channels=64) -> nn.Module:
    return Bottleneck(in_channels, bottleneck_channels, projection=False)
