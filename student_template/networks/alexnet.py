"""Exercise alexnet: the whole AlexNet (Krizhevsky et al., 2012), as torchvision builds it.

1. torch.nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Linear 레이어를
   사용하여 AlexNet 전체 모델을 구현해 보세요. build_alexnet(num_classes) 는 모델(nn.Module)을
   반환합니다.
   * input data: (32, 3, 224, 224)
   * 특징 추출부(features) 출력: (32, 256, 6, 6)
   * output data: (32, num_classes), 기본값은 num_classes=1000
   * 파라미터 수: 61,100,840 개 (61.1M)
   5개의 합성곱(convolution) 레이어로 feature maps 를 추출하고, 적응형 평균 풀링
   (nn.AdaptiveAvgPool2d)으로 크기를 6x6 으로 맞춘 뒤, 3개의 완전 연결(fully connected) 레이어로
   분류합니다. 적응형 평균 풀링 덕분에 224x224 가 아닌 입력(63x63 이상)에서도 동작해야 하며,
   (32, 3, 256, 256) 입력과 num_classes=10 으로도 채점합니다.
   torchvision.models.alexnet 이 만든 모델을 그대로 반환하면 0점입니다. 레이어를 직접 쌓아
   모델을 구성하세요.

(Build the whole AlexNet from nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.Dropout and
nn.Linear layers: five convolutions extract feature maps, an adaptive average pool brings them to
6×6, three fully connected layers classify. It must work for inputs other than 224×224 (at least
63×63) and for any num_classes: a (32, 3, 256, 256) input and num_classes=10 are graded too.
Returning the model torchvision.models.alexnet builds scores 0: the builder must build the network
itself.)

features, for a (32, 3, 224, 224) input:
  Conv2d(3 → 64, 11×11, stride 4, padding 2), ReLU, MaxPool2d(3, stride 2)    → (32, 64, 27, 27)
  Conv2d(64 → 192, 5×5, padding 2), ReLU, MaxPool2d(3, stride 2)             → (32, 192, 13, 13)
  Conv2d(192 → 384, 3×3, padding 1), ReLU                                    → (32, 384, 13, 13)
  Conv2d(384 → 256, 3×3, padding 1), ReLU                                    → (32, 256, 13, 13)
  Conv2d(256 → 256, 3×3, padding 1), ReLU, MaxPool2d(3, stride 2)            → (32, 256, 6, 6)
avgpool:    AdaptiveAvgPool2d((6, 6))                                        → (32, 256, 6, 6)
flatten:    torch.flatten(x, 1)                                              → (32, 9216)
classifier: Dropout(0.5), Linear(9216 → 4096), ReLU,
            Dropout(0.5), Linear(4096 → 4096), ReLU,
            Linear(4096 → num_classes)                                       → (32, num_classes)

Every convolution and linear layer has a bias. Parameters: 61,100,840 at num_classes=1000.
Behaviour is graded in eval mode (dropout off) with the reference's weights loaded into yours.
"""

from torch import nn


def build_alexnet(num_classes=1000) -> nn.Module:
    """Return AlexNet. Use num_classes: it is also graded with another number of classes.

    (32, 3, 224, 224) → features (32, 256, 6, 6) → output (32, num_classes)
    """
    raise NotImplementedError
