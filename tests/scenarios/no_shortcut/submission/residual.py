from torch import nn


def build_residual(in_channels=256, bottleneck_channels=64):
    return nn.Sequential(
        nn.Conv2d(in_channels, bottleneck_channels, 1),
        nn.ReLU(),
        nn.Conv2d(bottleneck_channels, bottleneck_channels, 3, padding="same"),
        nn.ReLU(),
        nn.Conv2d(bottleneck_channels, in_channels, 1),
        nn.ReLU(),
    )
