from torch import nn


class Block(nn.Module):
    def __init__(self, c, w):
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(c, w, 1), nn.Conv2d(w, w, 3, padding="same"), nn.ReLU(), nn.Conv2d(w, c, 1)
        )
        self.shortcut = nn.Conv2d(c, c, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.residual(x) + self.shortcut(x))


def build_residual(in_channels=256, bottleneck_channels=64):
    return Block(in_channels, bottleneck_channels)
