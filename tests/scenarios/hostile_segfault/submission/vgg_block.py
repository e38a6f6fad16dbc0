import ctypes

from torch import nn


class Crash(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5, padding="same")

    def forward(self, x):
        ctypes.string_at(0)


def build_vgg_block():
    return Crash()
