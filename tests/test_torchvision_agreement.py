"""The networks homework's references compute what torchvision's models compute.

The statements promise "AlexNet, VGG16, GoogLeNet, ResNet-50 as torchvision builds them", so each
reference (reference/networks/) is held to torchvision's model: the same parameter count, the same
number of parameters and buffers of each shape, and, with torchvision's weights and BatchNorm
statistics loaded into the reference, the same output. Names differ (the references use their
own), so tensors are paired by structure: in registration order within each shape, as the grader
pairs a student's layers with the reference's.

torchvision is used when it can be imported; else the copy of its model definitions in
tests/torchvision_models/ (torchvision's wheels are each built for one torch, and CI's CPU torch
has none). The report records which (the ``torchvision`` property, also printed).

The variants torchvision does not build are compared with torchvision's layer by layer: the
paper's ResNet-50 differs only in which convolution of a downsampling block has the stride, the
paper's GoogLeNet only in its 5×5 convolutions.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import pytest
import torch
from torch import nn

from tests.conftest import ROOT

REFERENCE = ROOT / "reference" / "networks"


@dataclass(frozen=True)
class TorchvisionModels:
    """Where torchvision's builders come from, and the builders the tests use."""

    origin: str
    alexnet: Callable[..., nn.Module]
    vgg16: Callable[..., nn.Module]
    googlenet: Callable[..., nn.Module]
    resnet50: Callable[..., nn.Module]


@dataclass(frozen=True)
class Network:
    """A reference builder, torchvision's counterpart and the small input they are compared on."""

    exercise: str
    builder: str
    torchvision: Callable[[TorchvisionModels, int], nn.Module]
    input_size: int


def _torchvision_models() -> TorchvisionModels:
    """torchvision's models when ``import torchvision`` works, else the vendored copy's."""
    try:
        import torchvision
        from torchvision import models
    # A torchvision built for another torch fails at import with RuntimeError ("operator
    # torchvision::nms does not exist") or OSError (a missing CUDA library).
    except (ImportError, RuntimeError, OSError):
        from tests.torchvision_models import alexnet, googlenet, resnet, vgg

        return TorchvisionModels(
            origin="tests/torchvision_models (vendored from torchvision 0.28.0)",
            alexnet=alexnet.alexnet,
            vgg16=vgg.vgg16,
            googlenet=googlenet.googlenet,
            resnet50=resnet.resnet50,
        )
    return TorchvisionModels(
        origin=f"torchvision {torchvision.__version__}",
        alexnet=models.alexnet,
        vgg16=models.vgg16,
        googlenet=models.googlenet,
        resnet50=models.resnet50,
    )


NETWORKS = [
    Network("alexnet", "build_alexnet", lambda tv, n: tv.alexnet(num_classes=n), input_size=64),
    # VGG's five max-pools take 32×32 to 1×1, which the adaptive pool spreads to 7×7.
    Network("vgg16", "build_vgg16", lambda tv, n: tv.vgg16(num_classes=n), input_size=32),
    Network(
        "googlenet",
        "build_googlenet",
        lambda tv, n: tv.googlenet(num_classes=n, aux_logits=False, transform_input=False, init_weights=True),
        input_size=64,
    ),
    Network("resnet50", "build_resnet50", lambda tv, n: tv.resnet50(num_classes=n), input_size=64),
]


@pytest.fixture(scope="module")
def torchvision_models() -> TorchvisionModels:
    return _torchvision_models()


def _reference_module(exercise: str) -> ModuleType:
    path = REFERENCE / f"{exercise}.py"
    spec = importlib.util.spec_from_file_location(f"reference_networks_{exercise}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _by_shape(named: Iterable[tuple[str, torch.Tensor]]) -> dict[tuple[int, ...], list[torch.Tensor]]:
    """Tensors grouped by shape, each group in registration order."""
    groups: dict[tuple[int, ...], list[torch.Tensor]] = defaultdict(list)
    for _, tensor in named:
        groups[tuple(tensor.shape)].append(tensor)
    return dict(groups)


def _shape_counts(groups: dict[tuple[int, ...], list[torch.Tensor]]) -> dict[tuple[int, ...], int]:
    return {shape: len(tensors) for shape, tensors in groups.items()}


def _load_by_structure(source: nn.Module, target: nn.Module) -> None:
    """Copy ``source``'s parameters and buffers into ``target``'s, paired by shape in registration order.

    Fails, naming the shapes, when the two do not hold as many tensors of each shape.
    """
    pairs = [
        (_by_shape(source.named_parameters()), _by_shape(target.named_parameters()), "parameters"),
        (_by_shape(source.named_buffers()), _by_shape(target.named_buffers()), "buffers"),
    ]
    for theirs, ours, kind in pairs:
        assert _shape_counts(ours) == _shape_counts(theirs), f"{kind} of each shape differ"
    with torch.no_grad():
        for theirs, ours, _ in pairs:
            for shape, tensors in theirs.items():
                for their_tensor, our_tensor in zip(tensors, ours[shape], strict=True):
                    our_tensor.copy_(their_tensor)


def _randomise_batch_norm(model: nn.Module, generator: torch.Generator) -> None:
    """BatchNorm weights, biases and running statistics away from their defaults (1, 0, 0, 1)."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm2d):
                channels = layer.num_features
                layer.weight.copy_(torch.rand(channels, generator=generator) + 0.5)
                layer.bias.copy_(torch.randn(channels, generator=generator) * 0.1)
                layer.running_mean.copy_(torch.randn(channels, generator=generator) * 0.1)
                layer.running_var.copy_(torch.rand(channels, generator=generator) + 0.5)
                layer.num_batches_tracked.fill_(int(torch.randint(1, 1000, (), generator=generator)))


def _parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("num_classes", [1000, 10])
@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: n.builder)
def test_reference_agrees_with_torchvision(
    network: Network, num_classes: int, torchvision_models: TorchvisionModels, record_property
) -> None:
    record_property("torchvision", torchvision_models.origin)
    print(f"torchvision's models from {torchvision_models.origin}")
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(num_classes)
    theirs = network.torchvision(torchvision_models, num_classes).eval()
    _randomise_batch_norm(theirs, generator)
    builder = getattr(_reference_module(network.exercise), network.builder)
    # Built on meta, then given storage: every tensor is overwritten by torchvision's, so the
    # reference's own initialisation (seconds for VGG16's 138M parameters) would be wasted.
    with torch.device("meta"):
        ours = builder(num_classes)
    ours = ours.to_empty(device="cpu").eval()

    assert _parameter_count(ours) == _parameter_count(theirs)
    _load_by_structure(theirs, ours)
    images = torch.randn(2, 3, network.input_size, network.input_size, generator=generator)
    with torch.no_grad():
        expected = theirs(images)
        actual = ours(images)
    assert actual.shape == (2, num_classes)
    # torchvision's initialisation leaves outputs of about 0.01 (AlexNet, GoogLeNet) to 10 (ResNet):
    # compared in units of their spread, float32's tolerances mean the same for every network.
    spread = expected.std()
    assert spread > 1e-3, "outputs too small for the comparison to tell networks apart"
    torch.testing.assert_close(actual / spread, expected / spread)


def _convolutions(model: nn.Module) -> list[nn.Conv2d]:
    return [layer for layer in model.modules() if isinstance(layer, nn.Conv2d)]


def _channels_stride_bias(conv: nn.Conv2d) -> tuple[int, int, tuple[int, ...], bool]:
    return conv.in_channels, conv.out_channels, conv.stride, conv.bias is not None


def test_paper_resnet50_moves_only_the_stride(torchvision_models: TorchvisionModels) -> None:
    """build_resnet50_paper is torchvision's ResNet-50 with each stride 2 on the block's first 1×1.

    It also shows the comparison above can fail: with torchvision's weights loaded, the paper's
    variant (the same tensors, strides elsewhere) computes something else.
    """
    torch.manual_seed(0)
    theirs = torchvision_models.resnet50(num_classes=10).eval()
    _randomise_batch_norm(theirs, torch.Generator().manual_seed(0))
    with torch.device("meta"):
        ours = _reference_module("resnet50").build_resnet50_paper(10)
    ours = ours.to_empty(device="cpu").eval()
    moved = []
    for our_conv, their_conv in zip(_convolutions(ours), _convolutions(theirs), strict=True):
        assert (our_conv.kernel_size, our_conv.padding) == (their_conv.kernel_size, their_conv.padding)
        if our_conv.stride != their_conv.stride:
            moved.append((our_conv.kernel_size, our_conv.stride))
    # The first block of each of the last three stages: stride 2 on the 1×1, stride 1 on the 3×3.
    assert len(moved) == 6, moved
    assert sorted(moved) == [((1, 1), (2, 2))] * 3 + [((3, 3), (1, 1))] * 3

    _load_by_structure(theirs, ours)
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = theirs(images)
        actual = ours(images)
    spread = expected.std()
    with pytest.raises(AssertionError):
        torch.testing.assert_close(actual / spread, expected / spread)


def test_paper_googlenet_differs_only_in_its_5x5(torchvision_models: TorchvisionModels) -> None:
    """build_googlenet_5x5 is torchvision's GoogLeNet with a 5×5 (padding 2) in each "5×5" branch."""
    with torch.device("meta"):
        theirs = torchvision_models.googlenet(
            num_classes=1000, aux_logits=False, transform_input=False, init_weights=False
        )
        ours = _reference_module("googlenet").build_googlenet_5x5(1000)
    differences = []
    for our_conv, their_conv in zip(_convolutions(ours), _convolutions(theirs), strict=True):
        assert _channels_stride_bias(our_conv) == _channels_stride_bias(their_conv)
        if (our_conv.kernel_size, our_conv.padding) != (their_conv.kernel_size, their_conv.padding):
            differences.append((our_conv.kernel_size, our_conv.padding, their_conv.kernel_size))
    assert differences == [((5, 5), (2, 2), (3, 3))] * 9  # one per Inception module
