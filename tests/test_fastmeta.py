"""The fast meta kernels answer exactly as torch's own, or hand the case to torch's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from grader.sandbox import fastmeta

META = "meta"


def t(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.empty(shape, dtype=dtype, device=META)


def channels_last(*shape: int) -> torch.Tensor:
    return t(*shape).to(memory_format=torch.channels_last)


def per_channel(n: int = 4) -> torch.Tensor:
    return t(n)


HALF = torch.float16


# (op, arguments, keyword arguments, whether the fast kernel answers it itself)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], bool]] = [
    ("relu", (t(2, 4, 5, 5),), {}, True),
    ("relu", (t(3, dtype=torch.float16),), {}, True),
    ("relu", (t(),), {}, True),
    ("relu", (channels_last(2, 4, 5, 5),), {}, False),
    ("relu", (t(4, 5).t(),), {}, False),
    ("relu", (t(2, 3, dtype=torch.int64),), {}, False),
    ("gelu", (t(2, 8),), {"approximate": "tanh"}, True),
    ("hardtanh", (t(2, 4, 5, 5), 0.0, 6.0), {}, True),
    ("leaky_relu", (t(2, 4, 5, 5), 0.2), {}, True),
    ("elu", (t(2, 4), 1.0, 1, 1), {}, True),
    ("silu", (t(2, 4),), {}, True),
    ("clamp", (t(2, 4), 0.0), {}, True),
    ("clamp", (t(2, 4), None, None), {}, False),
    ("clamp", (t(2, 4), 1.0, 0.0), {}, True),
    ("gelu", (t(2, 8),), {"approximate": "cubic"}, False),
    ("hardtanh", (t(2, 4), 6.0, 0.0), {}, True),
    ("leaky_relu", (t(2, 4), 1j), {}, False),
    ("pow.Tensor_Scalar", (t(2, 4), 2), {}, True),
    ("pow.Tensor_Scalar", (t(2, 4, dtype=torch.int32), 2.5), {}, False),
    ("pow.Tensor_Scalar", (t(2, 4), 1j), {}, False),
    ("add.Tensor", (t(2, 4, 5, 5), t(2, 4, 5, 5)), {}, True),
    ("add.Tensor", (t(2, 4, 5, 5), t(2, 4, 5, 5)), {"alpha": 2}, True),
    ("add.Tensor", (t(2, 4, 5, 5), 1.5), {}, True),
    ("add.Tensor", (t(2, 4, 5, 5), 1.5), {"alpha": 1j}, False),
    ("add.Tensor", (t(2, 4, 5, 5), 2j), {}, False),
    ("add.Tensor", (t(2, 4), torch.tensor(2.0, dtype=torch.float64)), {}, True),
    ("add.Tensor", (t(2, 4), torch.tensor(2, dtype=torch.int64)), {}, True),
    ("add.Tensor", (t(2, 4), torch.tensor(1j)), {}, False),
    ("add.Tensor", (t(2, 4, 5, 5), t(4, 1, 1)), {}, False),
    ("add.Tensor", (t(2, 4, 5, 5), t(2, 3, 5, 5)), {}, False),
    ("add.Tensor", (t(2, 4), t(2, 4, dtype=torch.float64)), {}, False),
    ("add.Tensor", (t(), t(2, 4)), {}, False),
    ("add.Tensor", (t(2, 4, dtype=torch.int64), 1.5), {}, False),
    ("add.Tensor", (channels_last(2, 4, 5, 5), channels_last(2, 4, 5, 5)), {}, False),
    ("sub.Tensor", (t(2, 4), t(2, 4)), {}, True),
    ("mul.Tensor", (t(2, 4, 5, 5), 0.5), {}, True),
    ("mul.Tensor", (t(2, 4, 5, 5), t(2, 4, 5, 5)), {}, True),
    ("div.Tensor", (t(2, 4), 3), {}, True),
    ("div.Tensor", (t(2, 4, dtype=torch.int64), 3), {}, False),
    ("cat", ([t(2, 4, 5, 5), t(2, 6, 5, 5)], 1), {}, True),
    ("cat", ([t(2, 4, 5, 5), t(2, 4, 5, 3)], -1), {}, True),
    ("cat", ([t(2, 4, 1, 1), t(2, 2, 1, 1)], 1), {}, True),
    ("cat", ([t(2, 4, 5, 5), t(2, 4, 6, 5)], 1), {}, False),
    ("cat", ([t(2, 4), t(2, 4, dtype=torch.float64)], 1), {}, False),
    ("cat", ([channels_last(2, 4, 5, 5), channels_last(2, 2, 5, 5)], 1), {}, False),
    ("cat", ([t(2, 4), t(0)], 1), {}, False),
    ("cat", ([t(2, 4), t(2, 4)], 2), {}, False),
    ("cat", ([],), {}, False),
    ("native_batch_norm", (t(2, 4, 5, 5), *[per_channel()] * 4, False, 0.1, 1e-5), {}, True),
    ("native_batch_norm", (t(2, 4, 5, 5), *[per_channel()] * 4, True, 0.1, 1e-5), {}, True),
    ("native_batch_norm", (t(2, 4, 5, 5), None, None, None, None, True, 0.1, 1e-5), {}, True),
    ("native_batch_norm", (t(8, 4), *[per_channel()] * 4, False, 0.1, 1e-5), {}, True),
    ("native_batch_norm", (t(2, 4, 5, 5), *[per_channel(3)] * 4, False, 0.1, 1e-5), {}, False),
    ("native_batch_norm", (t(2, 4, 5, 5, dtype=HALF), *[per_channel()] * 4, False, 0.1, 1e-5), {}, False),
    ("native_batch_norm", (channels_last(2, 4, 5, 5), *[per_channel()] * 4, False, 0.1, 1e-5), {}, False),
    ("mean.dim", (t(2, 4, 5, 5), [2, 3]), {}, True),
    ("mean.dim", (t(2, 4, 5, 5), [-1, -2], True), {}, True),
    ("mean.dim", (t(2, 4, 5, 5), [2, 3]), {"dtype": torch.float64}, False),
    ("mean.dim", (t(2, 4, 5, 5), [2, 2]), {}, False),
    ("mean.dim", (t(2, 4, 5, 5), [4]), {}, False),
    ("mean.dim", (t(2, 4, 5, 5), None), {}, False),
    ("mean.dim", (t(2, 4, dtype=torch.int64), [1]), {}, False),
]


def _outcome(call: Callable[[], Any]) -> Any:
    """What a call gave, as comparable data: each tensor's shape, strides, dtype and device,
    or the error's type."""
    try:
        result = call()
    except Exception as error:  # which error: compared by type
        return ("raised", type(error).__name__)
    results = result if isinstance(result, tuple) else (result,)
    return tuple((tuple(r.shape), r.stride(), r.dtype, r.device.type) for r in results)


def _op(name: str) -> Any:
    op_name, _, overload = name.partition(".")
    return getattr(getattr(torch.ops.aten, op_name), overload or "default")


@pytest.fixture(scope="module", autouse=True)
def installed() -> list[str]:
    return fastmeta.install()


def test_every_kernel_is_installed_where_torch_has_a_python_one(installed: list[str]) -> None:
    expected = [name for name in fastmeta._KERNELS if fastmeta.original_kernel(name) is not None]
    assert installed == expected
    # The ops a ResNet's or an Inception block's shape is traced through.
    assert {"relu", "add.Tensor", "cat", "native_batch_norm", "mean.dim"} <= set(installed)


@pytest.mark.parametrize(("name", "args", "kwargs", "fast"), CASES)
def test_a_fast_kernel_answers_as_torchs_own(name: str, args: tuple, kwargs: dict, fast: bool) -> None:
    original = fastmeta.original_kernel(name)
    if original is None:
        pytest.skip(f"this torch has no Python meta kernel for {name}")
    expected = _outcome(lambda: original(*args, **kwargs))
    # Through the dispatcher, as a module's forward calls it.
    assert _outcome(lambda: _op(name)(*args, **kwargs)) == expected
    handed: list[bool] = []

    def recording(*a: Any, **k: Any) -> Any:
        handed.append(True)
        return original(*a, **k)

    assert _outcome(lambda: fastmeta._KERNELS[name](recording)(*args, **kwargs)) == expected
    assert handed == ([] if fast else [True]), "answered by the wrong kernel"


def test_a_traced_residual_block_has_the_same_shapes() -> None:
    """A whole forward, with batch norm, relu, a residual add and a global average pool."""
    body = torch.nn.Sequential(
        torch.nn.Conv2d(8, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
    ).to(META)
    body.eval()
    x = t(32, 8, 224, 224)
    with torch.no_grad():
        y = torch.relu(body(x) + x)
        z = torch.cat([y, y * 0.5], dim=1)
        pooled = torch.nn.AdaptiveAvgPool2d(1)(z)
    assert tuple(z.shape) == (32, 16, 224, 224)
    assert tuple(pooled.shape) == (32, 16, 1, 1)
    assert z.is_contiguous() and z.device.type == META
