# Opens files until something stops it, then builds a correct block.
import torch.nn as nn

_kept = []


def build_alexnet_block():
    while True:
        _kept.append(open(__file__))  # noqa: SIM115
    return nn.Sequential(nn.Conv2d(3, 48, 3), nn.ReLU(), nn.Dropout())
