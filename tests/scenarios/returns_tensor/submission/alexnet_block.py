import torch
from torch import nn


def build_alexnet_block():
    model = nn.Sequential(nn.Conv2d(3, 48, 3), nn.ReLU(), nn.Dropout())
    return model(torch.rand(2, 3, 16, 16))  # the output, not the module
