# Tries to edit and delete the grader's files, then builds a correct block.
import os

import grader
from torch import nn

root = os.path.dirname(os.path.dirname(grader.__file__))
for relative in ("grader/settings.py", "reference/blocks/vgg_block.py", "assignments/blocks/vgg_block/exercise.toml"):
    path = os.path.join(root, relative)
    try:
        with open(path, "a") as file:
            file.write("\nraise SystemExit('tampered')\n")
    except OSError:
        pass
    try:
        os.remove(path)
    except OSError:
        pass


def build_vgg_block():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
