# The seed notebook's own cells, wrapped into the builder.
import torch.nn as nn


def build_alexnet_block():
    conv = nn.Conv2d(3, 48, 3)
    relu = nn.ReLU()
    dropout = nn.Dropout()
    return nn.Sequential(conv, relu, dropout)
