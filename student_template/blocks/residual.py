"""Exercise residual: the ResNet bottleneck block (He et al., 2016, figure 5, right).

1. 그림 5의 오른쪽 residual 모듈을 구현하세요. 지름길 경로는 shortcut 변수에 저장해 보세요.
   내부의 output channels 은 64 를 사용해 보세요. 입력 (32, 256, 224, 224) → 출력 (32, 256, 224, 224).

residual path: 1×1 conv (in_channels → bottleneck_channels), ReLU,
               3×3 conv (bottleneck → bottleneck, padding='same'), ReLU,
               1×1 conv (bottleneck → in_channels)
shortcut:      a 1×1 conv (in_channels → in_channels), as in the seed, or the input itself
output:        ReLU(residual(x) + shortcut(x))

Note the seed's warning: `x = nn.ReLU(x)` builds a layer instead of applying one; create the layer
(`relu = nn.ReLU()`, then `x = relu(x)`) or call torch.nn.functional.relu(x).
"""

from torch import nn


def build_residual(in_channels=256, bottleneck_channels=64) -> nn.Module:
    """Return the block. Use the arguments: it is also graded with other sizes.

    Defaults: (32, 256, 224, 224) → (32, 256, 224, 224)
    """
    raise NotImplementedError
