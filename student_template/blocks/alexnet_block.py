"""Exercise alexnet_block: an AlexNet-style block.

torch.nn.Conv2d 및 nn.ReLU 와 nn.Dropout 레이어를 사용하여 다음 모델을 구현해 보세요.
(Build the model below with torch.nn.Conv2d, nn.ReLU and nn.Dropout layers.)

* input data: (32, 3, 224, 224)
* kernel size 3x3
* output data: (32, 48, 222, 222)
"""

from torch import nn


def build_alexnet_block() -> nn.Module:
    """Return a module: Conv2d(3 → 48, 3×3), then nn.ReLU, then nn.Dropout.

    (32, 3, 224, 224) → (32, 48, 222, 222)
    """
    raise NotImplementedError
