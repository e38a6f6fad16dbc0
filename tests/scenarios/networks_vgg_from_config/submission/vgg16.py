# VGG16 as Dive into Deep Learning writes VGG (§8.2): a vgg_block(num_convs, out_channels) of lazy
# convolutions, the network built by looping over an architecture list. Unlike d2l, an adaptive
# average pool before the classifier, so that it works for inputs other than 224×224.
import torch
from torch import nn


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, arch, num_classes=1000):
        super().__init__()
        conv_blks = []
        for (num_convs, out_channels) in arch:
            conv_blks.append(vgg_block(num_convs, out_channels))
        self.net = nn.Sequential(
            *conv_blks, nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(num_classes))

    def forward(self, X):
        return self.net(X)


def build_vgg16(num_classes=1000):
    arch = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
    return VGG(arch, num_classes=num_classes)
