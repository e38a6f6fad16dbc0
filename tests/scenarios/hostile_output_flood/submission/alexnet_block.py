# A correct block that prints 50 MB every time forward runs, as a debugging student might.
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 48, 3)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout()

    def forward(self, x):
        print("shape:", x.shape, "-" * 50_000_000)
        return self.dropout(self.relu(self.conv(x)))


def build_alexnet_block():
    return Block()
