# GoogLeNet from its own Inception class, with the paper's true 5×5 convolutions, a table of the
# nine modules and a loop building the stages; own names throughout.
import torch
import torch.nn as nn


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(out_ch, eps=0.001),
            nn.ReLU(inplace=True),
        )


class InceptionModule(nn.Module):
    def __init__(self, in_ch, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
        super().__init__()
        self.path1 = ConvBNReLU(in_ch, n1x1, 1)
        self.path3 = nn.Sequential(
            ConvBNReLU(in_ch, n3x3_reduce, 1),
            ConvBNReLU(n3x3_reduce, n3x3, 3, padding=1),
        )
        self.path5 = nn.Sequential(
            ConvBNReLU(in_ch, n5x5_reduce, 1),
            ConvBNReLU(n5x5_reduce, n5x5, 5, padding=2),
        )
        self.path_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            ConvBNReLU(in_ch, pool_proj, 1),
        )
        self.out_channels = n1x1 + n3x3 + n5x5 + pool_proj

    def forward(self, x):
        return torch.cat([self.path1(x), self.path3(x), self.path5(x), self.path_pool(x)], dim=1)


# (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) per module; "M" is a max-pool between stages.
ARCHITECTURE = [
    (64, 96, 128, 16, 32, 32),     # 3a
    (128, 128, 192, 32, 96, 64),   # 3b
    "M",
    (192, 96, 208, 16, 48, 64),    # 4a
    (160, 112, 224, 24, 64, 64),   # 4b
    (128, 128, 256, 24, 64, 64),   # 4c
    (112, 144, 288, 32, 64, 64),   # 4d
    (256, 160, 320, 32, 128, 128), # 4e
    "M",
    (256, 160, 320, 32, 128, 128), # 5a
    (384, 192, 384, 48, 128, 128), # 5b
]


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            ConvBNReLU(3, 64, 7, stride=2, padding=3),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            ConvBNReLU(64, 64, 1),
            ConvBNReLU(64, 192, 3, padding=1),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
        )
        layers = []
        channels = 192
        pools = 0
        for item in ARCHITECTURE:
            if item == "M":
                # 3×3 after the third stage, 2×2 after the fourth, as in torchvision.
                size = 3 if pools == 0 else 2
                layers.append(nn.MaxPool2d(size, stride=2, ceil_mode=True))
                pools += 1
            else:
                module = InceptionModule(channels, *item)
                layers.append(module)
                channels = module.out_channels
        self.inceptions = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(channels, num_classes),
        )

    def forward(self, x):
        return self.head(self.inceptions(self.stem(x)))


def build_googlenet(num_classes=1000):
    return GoogLeNet(num_classes)
