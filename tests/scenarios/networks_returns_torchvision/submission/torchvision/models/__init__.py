# torchvision 0.28.0's torchvision/models/__init__.py, less the models other than ResNet.
from .resnet import *
