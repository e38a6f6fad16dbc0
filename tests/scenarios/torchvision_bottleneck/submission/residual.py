# torchvision's Bottleneck (torchvision/models/resnet.py), with expansion 1 so that it maps
# 256 channels to 256: convolutions without bias, each followed by BatchNorm.
from torch import Tensor, nn


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(
        in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False,
        dilation=dilation,
    )


class Bottleneck(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, downsample=None):
        super().__init__()
        norm_layer = nn.BatchNorm2d
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, inplanes * self.expansion)
        self.bn3 = norm_layer(inplanes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def build_residual(in_channels=256, bottleneck_channels=64):
    downsample = nn.Sequential(conv1x1(in_channels, in_channels), nn.BatchNorm2d(in_channels))
    return Bottleneck(in_channels, bottleneck_channels, downsample)
