import torch.nn as nn
from torch.nn import Conv2d, MaxPool2d, ReLU


def build_vgg_block():
    cnn1 = Conv2d(1, 8, 5, padding='same')
    relu1 = ReLU()
    pool1 = MaxPool2d(2)
    return nn.Sequential(cnn1, relu1, pool1)
