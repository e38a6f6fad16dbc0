# The paper's variant (ReLU after every conv), a helper module, branches computed
# in another order than registered and than concatenated.
import torch
from torch import nn

import blocks


class InceptionV1(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, cp):
        super().__init__()
        self.pool_branch = nn.Sequential(nn.MaxPool2d(3, 1, 1), blocks.ConvReLU(cin, cp, 1))
        self.b5 = nn.Sequential(blocks.ConvReLU(cin, c5r, 1), blocks.ConvReLU(c5r, c5, 5))
        self.b3 = nn.Sequential(blocks.ConvReLU(cin, c3r, 1), blocks.ConvReLU(c3r, c3, 3))
        self.b1 = blocks.ConvReLU(cin, c1, 1)

    def forward(self, x):
        p = self.pool_branch(x)
        a = self.b1(x)
        c = self.b5(x)
        b = self.b3(x)
        return torch.cat((a, b, c, p), 1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return InceptionV1(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)
