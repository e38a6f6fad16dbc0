# The seed's answer, but the 5x5 branch factorised into two 3x3 convolutions (Inception v2's
# idea): the same receptive field, not the exercise's layer.
import torch
from torch import nn


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = nn.Conv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(nn.Conv2d(in_channels, ch3x3_reduce, 1), nn.Conv2d(ch3x3_reduce, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, ch5x5_reduce, 1),
            nn.Conv2d(ch5x5_reduce, ch5x5, 3, padding=1),
            nn.Conv2d(ch5x5, ch5x5, 3, padding=1),
        )
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)
