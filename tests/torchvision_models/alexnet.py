# Copied from torchvision 0.28.0, torchvision/models/alexnet.py
# (https://github.com/pytorch/vision/blob/v0.28.0/torchvision/models/alexnet.py).
# BSD 3-Clause License. Copyright (c) Soumith Chintala 2016, all rights reserved.
# The license's full text is in LICENSE beside this file.
#
# Changed so that no torchvision package is needed: the imports (_log_api_usage_once comes from
# _utils.py here), and what needs the rest of torchvision is dropped: the Weights enum,
# register_model, handle_legacy_interface, _ovewrite_named_param and the builder's weights argument.
# The model classes are unchanged.

from typing import Any

import torch
import torch.nn as nn

from ._utils import _log_api_usage_once


__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        _log_api_usage_once(self)
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


def alexnet(**kwargs: Any) -> AlexNet:
    """AlexNet model architecture from `One weird trick for parallelizing convolutional neural networks <https://arxiv.org/abs/1404.5997>`__.

    torchvision's builder without pretrained weights: ``kwargs`` go to ``AlexNet``.
    """
    model = AlexNet(**kwargs)

    return model
