"""Exercise inception: the Inception module with dimension reductions (Szegedy et al., 2014).

1. Inception Module with dimension reductions 버전을 구현하세요. 이때 마지막 출력 전에 각 레이어의
   출력을 모으기 위해 torch.cat([x1, x2, x3, x4], dim=1) 코드를 사용해 보세요.
   (1, 192, 224, 224) 입력 → (1, 256, 224, 224) 출력. 32, 128, 64, 32 (sum = 256)

Four branches on the same input, concatenated along the channels in this order:
  x1: 1×1 conv (in_channels → ch1x1)
  x2: 1×1 conv (in_channels → ch3x3_reduce), then 3×3 conv (→ ch3x3), padding='same'
  x3: 1×1 conv (in_channels → ch5x5_reduce), then 5×5 conv (→ ch5x5), padding='same'
  x4: 3×3 max-pool (stride 1, padding 1), then 1×1 conv (in_channels → pool_proj)
A ReLU after each convolution (as in the paper) is accepted too.
"""

from torch import nn


def build_inception(
    in_channels=192, ch1x1=32, ch3x3_reduce=128, ch3x3=128, ch5x5_reduce=64, ch5x5=64, pool_proj=32
) -> nn.Module:
    """Return the Inception module. Use the arguments: it is also graded with other sizes.

    Defaults: (1, 192, 224, 224) → (1, 32 + 128 + 64 + 32 = 256, 224, 224)
    """
    raise NotImplementedError
