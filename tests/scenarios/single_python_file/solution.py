import torch
import torch.nn as nn


def build_alexnet_block():
    conv = nn.Conv2d(3, 48, 3)
    relu = nn.ReLU()
    dropout = nn.Dropout()
    return nn.Sequential(conv, relu, dropout)


import torch.nn as nn
from torch.nn import Conv2d, MaxPool2d, ReLU


def build_vgg_block():
    cnn1 = Conv2d(1, 8, 5, padding='same')
    relu1 = ReLU()
    pool1 = MaxPool2d(2)
    return nn.Sequential(cnn1, relu1, pool1)


import torch
import torch.nn as nn
from torch.nn import Conv2d, MaxPool2d


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
        self.maxpool3 = MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.conv = Conv2d(in_channels, pool_proj, 1)

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv3(x)
        x3 = self.conv5(x)
        x4 = self.conv(self.maxpool3(x))
        return torch.cat([x1, x2, x3, x4], dim=1)


def build_inception(in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32):
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)


import torch.nn as nn
from torch.nn import Conv2d, ReLU


class Residual(nn.Module):
    def __init__(self, in_channels, bottleneck_channels):
        super().__init__()
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
        x = self.residual(x) + self.shortcut(x)
        return self.relu(x)


def build_residual(in_channels=256, bottleneck_channels=64):
    return Residual(in_channels, bottleneck_channels)


x = torch.rand(32, 256, 224, 224)
print(build_residual()(x).shape)
for epoch in range(10**9):
    pass
