# Starts a process that would outlive grading, then builds a correct block.
import subprocess
import sys

from torch import nn

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "grader-hostile-children"])


def build_vgg_block():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
