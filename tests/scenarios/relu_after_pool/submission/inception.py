import torch
import torch.nn as nn
from torch.nn import Conv2d, MaxPool2d, ReLU


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
        super().__init__()
        self.conv1 = Conv2d(in_channels, ch1x1, 1)
        self.conv3 = nn.Sequential(
            Conv2d(in_channels, ch3x3_reduce, 1),
            Conv2d(ch3x3_reduce, ch3x3, 3, padding='same'),
        )
        self.conv5 = nn.Sequential(
            Conv2d(in_channels, ch5x5_reduce, 1),
            Conv2d(ch5x5_reduce, ch5x5, 5, padding='same'),
        )
        # A ReLU between the max-pool and its 1×1 projection, which the seed's answer does not have.
        self.pool = nn.Sequential(MaxPool2d(kernel_size=3, stride=1, padding=1), ReLU())
        self.conv = Conv2d(in_channels, pool_proj, 1)

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv3(x)
        x3 = self.conv5(x)
        x4 = self.conv(self.pool(x))
        return torch.cat([x1, x2, x3, x4], dim=1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)
