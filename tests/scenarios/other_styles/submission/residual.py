# The canonical identity shortcut, F.relu instead of ReLU layers.
import torch.nn.functional as F
from torch import nn


class Bottleneck(nn.Module):
    def __init__(self, channels, width):
        super().__init__()
        self.expand = nn.Conv2d(width, channels, 1)
        self.reduce = nn.Conv2d(channels, width, 1)
        self.spatial = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x):
        out = F.relu(self.reduce(x))
        out = F.relu(self.spatial(out))
        out = self.expand(out)
        out += x
        return F.relu(out)


def build_residual(in_channels=256, bottleneck_channels=64):
    return Bottleneck(in_channels, bottleneck_channels)
