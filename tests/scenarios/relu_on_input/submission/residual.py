import torch.nn as nn
from torch.nn import Conv2d, ReLU


class Residual(nn.Module):
    def __init__(self, in_channels, bottleneck_channels):
        super().__init__()
        self.input_relu = ReLU()
        self.residual = nn.Sequential(
            Conv2d(in_channels, bottleneck_channels, 1),
            ReLU(),
            Conv2d(bottleneck_channels, bottleneck_channels, 3, padding='same'),
            ReLU(),
            Conv2d(bottleneck_channels, in_channels, 1),
        )
        self.shortcut = Conv2d(in_channels, in_channels, 1)
        self.relu = ReLU()

    def forward(self, x):
        x = self.input_relu(x)  # a ReLU on the block's input, before both paths
        x = self.residual(x) + self.shortcut(x)
        return self.relu(x)


def build_residual(in_channels=256, bottleneck_channels=64):
    return Residual(in_channels, bottleneck_channels)
