"""Exercise resnet50: the whole ResNet-50 (He et al., 2015), as torchvision builds it.

1. 그림 5의 오른쪽 병목(bottleneck) 잔차 블록을 쌓아 ResNet-50 전체 모델을 구현해 보세요.
   build_resnet50(num_classes) 는 모델(nn.Module)을 반환합니다.
   * input data: (32, 3, 224, 224)
   * 단계별 출력: conv2_x (32, 256, 56, 56), conv3_x (32, 512, 28, 28),
     conv4_x (32, 1024, 14, 14), conv5_x (32, 2048, 7, 7)
   * output data: (32, num_classes), 기본값은 num_classes=1000
   * 파라미터 수: 25,557,032 개 (25.6M)
   잔차 블록은 1x1 → 3x3 → 1x1 합성곱이며, 각 합성곱(bias=False) 뒤에 배치 정규화(nn.BatchNorm2d)를
   둡니다. 블록의 출력 채널은 내부 채널의 4배입니다. 지름길 연결(shortcut)은 모양이 같으면 입력
   그대로(identity)이고, 각 단계의 첫 블록처럼 채널 수나 크기가 바뀌는 곳에서는 1x1 합성곱과 배치
   정규화로 투영(projection)합니다. 잔차 경로와 지름길 경로를 더한 뒤에 ReLU 를 적용합니다.
   단계별 블록 수는 [3, 4, 6, 3] 입니다. ReLU 는 nn.ReLU 레이어도, F.relu 도 괜찮습니다.
   torchvision.models.resnet50 이 만든 모델을 그대로 반환하면 0점입니다. 레이어를 직접 쌓아
   모델을 구성하세요.

(Build the whole ResNet-50 from bottleneck residual blocks, [3, 4, 6, 3] of them in four stages.
Each block: 1×1 → 3×3 → 1×1 convolutions without bias, each followed by BatchNorm2d, the block's
output 4× its inner channels; the shortcut is the input itself, or a 1×1 convolution and BatchNorm
where the channels or the size change; a ReLU after the sum. nn.ReLU or F.relu are both fine.
Returning the model torchvision.models.resnet50 builds scores 0: the builder must build the network
itself.)

For a (32, 3, 224, 224) input; every convolution has bias=False and is followed by BatchNorm2d:
  stem:    Conv2d(3 → 64, 7×7, stride 2, padding 3), BatchNorm2d, ReLU     → (32, 64, 112, 112)
           MaxPool2d(3, stride 2, padding 1)                                → (32, 64, 56, 56)
  conv2_x: 3 blocks, inner 64, out 256,   first block stride 1              → (32, 256, 56, 56)
  conv3_x: 4 blocks, inner 128, out 512,  first block stride 2              → (32, 512, 28, 28)
  conv4_x: 6 blocks, inner 256, out 1024, first block stride 2              → (32, 1024, 14, 14)
  conv5_x: 3 blocks, inner 512, out 2048, first block stride 2              → (32, 2048, 7, 7)
  head:    AdaptiveAvgPool2d((1, 1)), torch.flatten(x, 1)                   → (32, 2048)
           Linear(2048 → num_classes)                                       → (32, num_classes)

Bottleneck(in, inner, stride), out = 4 × inner:
  residual: Conv2d(in → inner, 1×1), BatchNorm2d, ReLU,
            Conv2d(inner → inner, 3×3, padding 1), BatchNorm2d, ReLU,
            Conv2d(inner → out, 1×1), BatchNorm2d
  shortcut: the input itself when in == out and stride is 1; else
            Conv2d(in → out, 1×1, stride), BatchNorm2d (the first block of every stage)
  output:   ReLU(residual(x) + shortcut(x))

Two places for a downsampling block's stride are accepted (same parameters, other outputs):
on the 3×3 convolution, as torchvision does ("ResNet v1.5"), or on the first 1×1 convolution,
as in the paper. Parameters: 25,557,032 at num_classes=1000. Behaviour is graded in eval mode
(BatchNorm using its running statistics) with the reference's weights and statistics loaded
into yours.
"""

from torch import nn


def build_resnet50(num_classes=1000) -> nn.Module:
    """Return ResNet-50. Use num_classes: it is also graded with another number of classes.

    (32, 3, 224, 224) → stages (32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14),
    (32, 2048, 7, 7) → output (32, num_classes)
    """
    raise NotImplementedError
