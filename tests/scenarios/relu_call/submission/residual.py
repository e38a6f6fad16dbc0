# The seed's closing note: `x = nn.ReLU(x)` builds a layer, it does not apply one.
from torch import nn


class Block(nn.Module):
    def __init__(self, c, w):
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(c, w, 1), nn.ReLU(), nn.Conv2d(w, w, 3, padding="same"), nn.ReLU(), nn.Conv2d(w, c, 1)
        )
        self.shortcut = nn.Conv2d(c, c, 1)

    def forward(self, x):
        x = self.residual(x) + self.shortcut(x)
        x = nn.ReLU(x)
        return x


def build_residual(in_channels=256, bottleneck_channels=64):
    return Block(in_channels, bottleneck_channels)
