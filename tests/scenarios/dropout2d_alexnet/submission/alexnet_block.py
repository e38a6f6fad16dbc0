# A block that uses nn.Dropout2d, which zeroes whole channels, where the seed uses nn.Dropout.
import torch.nn as nn


def build_alexnet_block():
    return nn.Sequential(nn.Conv2d(3, 48, kernel_size=3), nn.ReLU(inplace=True), nn.Dropout2d(p=0.5))
