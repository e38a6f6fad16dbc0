"""Reference: the Inception module with dimension reductions (Szegedy et al., 2014).

``build_inception`` is the seed's answer: no activation inside the branches.
``build_inception_paper`` is the paper's: a ReLU after every convolution. Both
are accepted; the report says which one a submission matched.
"""

import torch
from torch import nn


class Inception(nn.Module):
    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3_reduce: int,
        ch3x3: int,
        ch5x5_reduce: int,
        ch5x5: int,
        pool_proj: int,
        *,
        relu: bool,
    ) -> None:
        super().__init__()

        def conv(cin: int, cout: int, kernel: int) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, padding="same")]
            return [*layers, nn.ReLU()] if relu else layers

        self.branch1 = nn.Sequential(*conv(in_channels, ch1x1, 1))
        self.branch3 = nn.Sequential(*conv(in_channels, ch3x3_reduce, 1), *conv(ch3x3_reduce, ch3x3, 3))
        self.branch5 = nn.Sequential(*conv(in_channels, ch5x5_reduce, 1), *conv(ch5x5_reduce, ch5x5, 5))
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1), *conv(in_channels, pool_proj, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)


def build_inception(
    in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32
) -> nn.Module:
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj, relu=False)


def build_inception_paper(
    in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32
) -> nn.Module:
    return Inception(in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj, relu=True)
