# Computes the VGG block right, but pools with F.max_pool2d: the statement names
# torch.nn.MaxPool2D, so the layer-type check asks for the layer.
import torch.nn.functional as F
from torch import nn


class VGGBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=5, padding="same")
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return F.max_pool2d(self.relu(self.conv(x)), kernel_size=2, stride=2)


def build_vgg_block():
    return VGGBlock()
