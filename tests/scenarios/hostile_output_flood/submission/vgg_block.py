import sys

from torch import nn

for _ in range(40):
    sys.stdout.write("x" * 1024**2)
    sys.stderr.write("y" * 1024**2)


def build_vgg_block():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
