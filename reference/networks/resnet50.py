"""Reference: ResNet-50 (He et al., 2015) as torchvision builds it.

A 7×7 stem and a max-pool, then four stages of bottleneck blocks ([3, 4, 6, 3]; 1×1 → 3×3
→ 1×1, expansion 4, BatchNorm after each convolution) giving 56×56×256, 28×28×512,
14×14×1024 and 7×7×2048 for a 224×224 input; a projection shortcut (1×1 convolution
and BatchNorm) where the shape changes; global average pool; one linear layer:
25,557,032 parameters at 1000 classes.

Two variants, with the same parameters, are accepted:

- ``build_resnet50``: the stride of a downsampling block on its 3×3 convolution
  (torchvision's "ResNet v1.5");
- ``build_resnet50_paper``: the stride on its first 1×1 convolution, as in the paper.
"""

import torch
from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int, *, stride_on_3x3: bool) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, stride=1 if stride_on_3x3 else stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride if stride_on_3x3 else 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        # After the main path, in torchvision's order: the layer table pairs layers in call order.
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, blocks: list[int], num_classes: int = 1000, *, stride_on_3x3: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = 64
        stages = []
        for index, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512), strict=True)):
            stage = []
            for block in range(count):
                stride = 2 if index > 0 and block == 0 else 1
                stage.append(Bottleneck(channels, width, stride, stride_on_3x3=stride_on_3x3))
                channels = width * Bottleneck.expansion
            stages.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build_resnet50(num_classes=1000) -> nn.Module:
    return ResNet([3, 4, 6, 3], num_classes, stride_on_3x3=True)


def build_resnet50_paper(num_classes=1000) -> nn.Module:
    return ResNet([3, 4, 6, 3], num_classes, stride_on_3x3=False)
