from torch import nn


def build_alexnet_block():
    return nn.Sequential(nn.Conv2d(3, 48, 3), nn.ReLU())
