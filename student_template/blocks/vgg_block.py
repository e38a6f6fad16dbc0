"""Exercise vgg_block: a VGG-style block.

2. torch.nn.Conv2d 를 이용하여 (32, 8, 28, 28) 출력을 내는 CNN 레이어를 생성하세요.
   (hint: padding='same' 사용해 보기)
3. activation function(torch.nn.ReLU) 레이어를 적용하세요.
4. feature maps 데이터의 width, height 의 크기를 절반으로 만드는 torch.nn.MaxPool2d 를 적용하세요.

(A Conv2d with a 5×5 kernel that turns (32, 1, 28, 28) into (32, 8, 28, 28) — hint: padding='same';
then nn.ReLU; then a MaxPool2d that halves width and height.)
"""

from torch import nn


def build_vgg_block() -> nn.Module:
    """Return a module: Conv2d(1 → 8, 5×5, padding='same'), nn.ReLU, nn.MaxPool2d halving H and W.

    (32, 1, 28, 28) → after the convolution (32, 8, 28, 28) → output (32, 8, 14, 14)
    """
    raise NotImplementedError
