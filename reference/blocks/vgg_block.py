"""Reference: the VGG-style block of the seed (5×5 'same' convolution, ReLU, 2×2 max-pool)."""

from torch import nn


def build_vgg_block() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
