# Stands for an installed torchvision 0.28.0 (whose wheel cannot be imported beside the CPU torch the
# tests use): the package and module names are torchvision's, and models/resnet.py is its code.
# BSD 3-Clause License. Copyright (c) Soumith Chintala 2016, all rights reserved
# (tests/torchvision_models/LICENSE).
from torchvision import models

__version__ = "0.28.0"
