"""The weights the judge chooses, as recipes rather than tensors.

A weight is ``Uniform``: a shape, a range and a seed. Its values are drawn in
blocks of ``BLOCK`` elements, each from its own seed, so any run of them can be
made on demand: the judge streams a VGG16's 553 MB of weights to a child a frame
at a time without ever holding them, the reference and the student get
bit-identical values from the same recipe, and stored facts keep the recipe (a
seed) instead of the tensors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.sandbox.messages import Layer
from grader.sandbox.tensors import TensorInfo

#: Elements drawn from one seed; a frame's pieces start at multiples of it.
BLOCK = 1 << 20


def mix(seed: int | str, *parts: object) -> int:
    text = "/".join(map(str, [seed, *parts]))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Uniform:
    """Values uniform in [low, high), float32, drawn from ``seed`` block by block."""

    info: TensorInfo
    low: float
    high: float
    seed: int

    @classmethod
    def of(cls, name: str, shape: Sequence[int], low: float, high: float, seed: int) -> Uniform:
        return cls(TensorInfo(name=name, dtype="float32", shape=tuple(shape)), low, high, seed)

    def renamed(self, name: str) -> Uniform:
        """The same values under the student's name for them."""
        return Uniform(
            TensorInfo(name=name, dtype="float32", shape=self.info.shape), self.low, self.high, self.seed
        )

    def piece(self, start: int, stop: int) -> Any:
        import torch

        out = torch.empty(max(0, stop - start))
        for block in range(start // BLOCK, (stop - 1) // BLOCK + 1 if stop > start else 0):
            first = block * BLOCK
            generator = torch.Generator().manual_seed(mix(self.seed, block))
            values = torch.empty(min(BLOCK, self.info.numel - first)).uniform_(
                self.low, self.high, generator=generator
            )
            begin, end = max(start, first), min(stop, first + values.numel())
            out[begin - start : end - start] = values[begin - first : end - first]
        return out

    def materialise(self) -> Any:
        return self.piece(0, self.info.numel).view(self.info.shape)


#: A weight set: the whole module's parameter (or buffer) path → its recipe.
WeightSet = dict[str, Uniform]


def reference_weights(layers: Sequence[Layer], seed: int) -> WeightSet:
    """Weights for every parameter and float buffer of ``layers``, chosen by the judge.

    Kaiming-uniform weights (±√(6/fan_in)) keep activations near unit scale through a
    deep network — with PyTorch's ±1/√fan_in they shrink about six-fold a layer, and after
    VGG16's sixteen every output would be within tolerance of zero. Normalisation layers
    get scales in [0.5, 1.5), shifts and running means in ±0.5 and running variances in
    [0.5, 2): chosen, not their defaults (1, 0, 0, 1), under which a missing BatchNorm in
    eval mode would change nothing.
    """
    weights: WeightSet = {}
    for layer in layers:
        fan_in = _fan_in(layer)
        for name, shape in (*layer.params, *layer.buffers):
            path = layer.parameter_path(name)
            low, high = _range(name, shape, fan_in)
            weights[path] = Uniform.of(path, shape, low, high, mix(seed, path))
    return weights


def _fan_in(layer: Layer) -> int:
    for _, shape in layer.params:
        if len(shape) >= 2:
            fan_in = 1
            for size in shape[1:]:
                fan_in *= size
            return max(fan_in, 1)
    return 0


def _range(name: str, shape: tuple[int, ...], fan_in: int) -> tuple[float, float]:
    if len(shape) >= 2:
        bound = (6.0 / max(fan_in, 1)) ** 0.5
        return -bound, bound
    if fan_in:  # a bias beside a weight matrix, as PyTorch initialises it
        bound = 1.0 / fan_in**0.5
        return -bound, bound
    if name == "running_var":
        return 0.5, 2.0
    if name == "weight":
        return 0.5, 1.5
    return -0.5, 0.5


def noise(path: str, shape: Sequence[int], seed: int, *, buffer: bool = False) -> Uniform:
    """Small values for a parameter no reference weight maps to (a positive one for a buffer,
    which may be a variance)."""
    low, high = (0.5, 1.5) if buffer else (-0.1, 0.1)
    return Uniform.of(path, shape, low, high, mix(seed, path))
