from collections import OrderedDict

from torch import nn


def build_vgg_block():
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(1, 8, kernel_size=5, padding=2),
        relu=nn.ReLU(inplace=True),
        pool=nn.MaxPool2d(kernel_size=2, stride=2),
    ))
