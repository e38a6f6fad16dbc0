# A pre-activation bottleneck (He et al., 2016b: "Identity Mappings in Deep Residual
# Networks"): each ReLU before its convolution, no ReLU after the sum.
import torch.nn as nn


class PreActBottleneck(nn.Module):
    def __init__(self, in_channels, bottleneck_channels):
        super().__init__()
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, bottleneck_channels, 1)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(bottleneck_channels, bottleneck_channels, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.conv3 = nn.Conv2d(bottleneck_channels, in_channels, 1)
        self.shortcut = nn.Conv2d(in_channels, in_channels, 1)

    def forward(self, x):
        out = self.conv1(self.relu1(x))
        out = self.conv2(self.relu2(out))
        out = self.conv3(self.relu3(out))
        return out + self.shortcut(x)


def build_residual(in_channels=256, bottleneck_channels=64):
    return PreActBottleneck(in_channels, bottleneck_channels)
