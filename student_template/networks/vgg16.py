"""Exercise vgg16: the whole VGG16, configuration D of Simonyan and Zisserman (2014).

1. torch.nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Linear 레이어를
   사용하여 VGG16 전체 모델을 구현해 보세요. build_vgg16(num_classes) 는 모델(nn.Module)을 반환합니다.
   * input data: (32, 3, 224, 224)
   * output data: (32, num_classes), 기본값은 num_classes=1000
   * 파라미터 수: 138,357,544 개 (138M)
   작은(3x3) 합성곱 필터만 사용하여 매우 간단하고 균일하게 설계된 네트워크입니다. 3x3 합성곱
   (padding=1 로 크기 유지)과 ReLU 를 2, 2, 3, 3, 3 개씩 쌓은 5개의 단계(stage)가 있고, 각 단계의
   끝에서 MaxPool2d 로 width, height 를 절반으로 줄입니다. 각 MaxPool2d 뒤의 출력은 다음과 같습니다:
   (32, 64, 112, 112) → (32, 128, 56, 56) → (32, 256, 28, 28) → (32, 512, 14, 14) → (32, 512, 7, 7)
   배치 정규화(BatchNorm)는 쓰지 않습니다 (vgg16_bn 이 아니라 vgg16 입니다).
   torchvision.models.vgg16 이 만든 모델을 그대로 반환하면 0점입니다. 레이어를 직접 쌓아 모델을
   구성하세요.

(Build the whole VGG16: thirteen 3×3 convolutions with ReLU in five stages, each stage ending in a
max-pool that halves width and height, then three fully connected layers. No BatchNorm. Returning
the model torchvision.models.vgg16 builds scores 0: the builder must build the network itself.)

features, for a (32, 3, 224, 224) input; every convolution is 3×3, stride 1, padding 1, with a bias,
and is followed by a ReLU:
  stage 1: Conv2d 3 → 64, 64 → 64,                     MaxPool2d(2, stride 2) → (32, 64, 112, 112)
  stage 2: Conv2d 64 → 128, 128 → 128,                 MaxPool2d(2, stride 2) → (32, 128, 56, 56)
  stage 3: Conv2d 128 → 256, 256 → 256, 256 → 256,     MaxPool2d(2, stride 2) → (32, 256, 28, 28)
  stage 4: Conv2d 256 → 512, 512 → 512, 512 → 512,     MaxPool2d(2, stride 2) → (32, 512, 14, 14)
  stage 5: Conv2d 512 → 512, 512 → 512, 512 → 512,     MaxPool2d(2, stride 2) → (32, 512, 7, 7)
avgpool:    AdaptiveAvgPool2d((7, 7))                                         → (32, 512, 7, 7)
flatten:    torch.flatten(x, 1)                                               → (32, 25088)
classifier: Linear(25088 → 4096), ReLU, Dropout(0.5),
            Linear(4096 → 4096), ReLU, Dropout(0.5),
            Linear(4096 → num_classes)                                        → (32, num_classes)

As a configuration list (a number: a convolution's output channels, "M": a max-pool):
  [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
Parameters: 138,357,544 at num_classes=1000. Behaviour is graded in eval mode (dropout off) with
the reference's weights loaded into yours.
"""

from torch import nn


def build_vgg16(num_classes=1000) -> nn.Module:
    """Return VGG16. Use num_classes: it is also graded with another number of classes.

    (32, 3, 224, 224) → after the fifth max-pool (32, 512, 7, 7) → output (32, num_classes)
    """
    raise NotImplementedError
