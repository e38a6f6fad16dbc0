"""Exercise googlenet: the whole GoogLeNet (Inception v1, Szegedy et al., 2014), as torchvision builds it.

1. Inception 모듈 9개를 쌓아 GoogLeNet 전체 모델을 구현해 보세요. build_googlenet(num_classes) 는
   모델(nn.Module)을 반환합니다.
   * input data: (32, 3, 224, 224)
   * inception3b 출력: (32, 480, 28, 28)
   * inception4e 출력: (32, 832, 14, 14)
   * inception5b 출력: (32, 1024, 7, 7)
   * output data: (32, num_classes), 기본값은 num_classes=1000
   * 파라미터 수: 6,624,904 개 (6.6M, AlexNet 보다 10배 적음)
   모든 합성곱은 "합성곱(bias=False) → 배치 정규화(nn.BatchNorm2d, eps=0.001) → ReLU" 순서의
   블록입니다. 각 Inception 모듈은 앞에서 구현한 Inception Module with dimension reductions 처럼
   네 갈래(1x1, 1x1 → 3x3, 1x1 → 5x5, 3x3 max pooling → 1x1)의 출력을
   torch.cat([x1, x2, x3, x4], dim=1) 로 모읍니다. 보조 분류기(auxiliary classifiers)는 만들지
   않습니다.
   "5x5" 갈래는 torchvision 처럼 3x3 합성곱(padding=1)을 써도 되고, 논문처럼 5x5 합성곱(padding=2)을
   써도 됩니다. 둘 다 정답입니다 (5x5 의 경우 파라미터 수는 7,005,832 개).
   torchvision.models.googlenet 이 만든 모델을 그대로 반환하면 0점입니다. 레이어를 직접 쌓아
   모델을 구성하세요.

(Build the whole GoogLeNet from nine Inception modules. Every convolution is a block "convolution
without bias → BatchNorm2d(eps=0.001) → ReLU"; each Inception module joins four branches with
torch.cat on dim 1, like the Inception module of the previous homework. No auxiliary classifiers.
The "5×5" branch may use a 3×3 convolution (padding 1), as torchvision does (pytorch/vision#906),
or the paper's true 5×5 (padding 2): both are accepted. Returning the model
torchvision.models.googlenet builds scores 0: the builder must build the network itself.)

conv(k, s, p) below: Conv2d(bias=False, kernel k, stride s, padding p), BatchNorm2d(eps=0.001), ReLU.
Every max-pool has ceil_mode=True. For a (32, 3, 224, 224) input:
  conv1:    conv 3 → 64, 7×7, stride 2, padding 3                   → (32, 64, 112, 112)
  maxpool1: MaxPool2d(3, stride 2, ceil_mode=True)                  → (32, 64, 56, 56)
  conv2:    conv 64 → 64, 1×1
  conv3:    conv 64 → 192, 3×3, padding 1                           → (32, 192, 56, 56)
  maxpool2: MaxPool2d(3, stride 2, ceil_mode=True)                  → (32, 192, 28, 28)
  inception3a, inception3b                                          → (32, 480, 28, 28)
  maxpool3: MaxPool2d(3, stride 2, ceil_mode=True)                  → (32, 480, 14, 14)
  inception4a, 4b, 4c, 4d, 4e                                       → (32, 832, 14, 14)
  maxpool4: MaxPool2d(2, stride 2, ceil_mode=True)                  → (32, 832, 7, 7)
  inception5a, inception5b                                          → (32, 1024, 7, 7)
  avgpool:  AdaptiveAvgPool2d((1, 1)), torch.flatten(x, 1)          → (32, 1024)
  dropout:  Dropout(0.2)
  fc:       Linear(1024 → num_classes)                              → (32, num_classes)

Inception(in, c1, c3r, c3, c5r, c5, pp): four branches on the same input, concatenated on dim 1 in
this order, giving c1 + c3 + c5 + pp channels at the input's size:
  x1: conv in → c1, 1×1
  x2: conv in → c3r, 1×1; conv c3r → c3, 3×3, padding 1
  x3: conv in → c5r, 1×1; conv c5r → c5, 3×3, padding 1 (torchvision) or 5×5, padding 2 (paper)
  x4: MaxPool2d(3, stride 1, padding 1, ceil_mode=True); conv in → pp, 1×1

  module  in   c1   c3r  c3   c5r  c5   pp   out
  3a      192   64   96  128   16   32   32  256
  3b      256  128  128  192   32   96   64  480
  4a      480  192   96  208   16   48   64  512
  4b      512  160  112  224   24   64   64  512
  4c      512  128  128  256   24   64   64  512
  4d      512  112  144  288   32   64   64  528
  4e      528  256  160  320   32  128  128  832
  5a      832  256  160  320   32  128  128  832
  5b      832  384  192  384   48  128  128  1024

Parameters: 6,624,904 at num_classes=1000 with the 3×3 "5×5" branch, 7,005,832 with a true 5×5.
Behaviour is graded in eval mode (dropout off, BatchNorm using its running statistics) with the
reference's weights and statistics loaded into yours.
"""

from torch import nn


def build_googlenet(num_classes=1000) -> nn.Module:
    """Return GoogLeNet. Use num_classes: it is also graded with another number of classes.

    (32, 3, 224, 224) → inception3b (32, 480, 28, 28) → inception4e (32, 832, 14, 14)
    → inception5b (32, 1024, 7, 7) → output (32, num_classes)
    """
    raise NotImplementedError
