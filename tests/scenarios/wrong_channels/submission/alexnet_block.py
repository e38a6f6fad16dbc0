from torch import nn


def build_alexnet_block():
    return nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.Dropout())
