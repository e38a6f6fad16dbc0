"""Reference: the AlexNet-style block of the seed (Conv2d 3→48, 3×3, ReLU, Dropout)."""

from torch import nn


def build_alexnet_block() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 48, 3), nn.ReLU(), nn.Dropout())
