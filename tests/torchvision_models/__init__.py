"""torchvision 0.28.0's AlexNet, VGG16, GoogLeNet and ResNet-50, vendored for the tests.

tests/test_torchvision_agreement.py compares the networks homework's references with torchvision's
models; where torchvision cannot be imported (its wheels are built for one torch each, and CI's CPU
torch has none), it uses these copies. Each file says where it came from and what changed: only
what needs the rest of torchvision (pretrained weights, the model registry) is left out.
BSD 3-Clause License, Copyright (c) Soumith Chintala 2016: see LICENSE.
"""
