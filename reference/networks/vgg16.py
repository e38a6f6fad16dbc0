"""Reference: VGG16, configuration D of Simonyan and Zisserman (2014), as torchvision builds it.

Thirteen 3×3 convolutions (padding 1) in five stages of 64, 128, 256, 512 and 512
channels, each stage ending in a 2×2 max-pool; an adaptive average pool to 7×7; three
linear layers with dropout: 138,357,544 parameters at 1000 classes.
"""

import torch
from torch import nn

#: Channels of each convolution, "M" for a max-pool: configuration D.
CONFIGURATION_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, configuration: list, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in configuration:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def build_vgg16(num_classes=1000) -> nn.Module:
    return VGG(CONFIGURATION_D, num_classes)
