"""Shapes on the meta device in microseconds: fast meta kernels for the ops networks use most.

torch answers many common ops on the meta device (relu, add, cat, batch norm, mean…) with
Python reference implementations that handle broadcasting, type promotion and memory
formats in general: 0.2 to 2.7 ms an op, so one traced forward of the seed's residual
block costs 5 ms, more than running it on a small CPU input, and a ResNet-50's about 150 ms.
Each kernel here answers the plain case (dense, contiguous floating tensors of one dtype
and matching shapes) with an empty tensor of the result's shape, dtype and strides, in
about 20 µs, and hands every other case, errors included, to torch's own kernel.
``tests/test_fastmeta.py`` compares the two on each op.

Installed once per process (the zygote's warm-up, so every child inherits it); an op
whose meta kernel torch does not implement in Python is left as it is.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable
from typing import Any

import torch

_FLOATS = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
# The dtypes batch norm's statistics are known to keep (a half input keeps float ones).
_NORM_FLOATS = (torch.float32, torch.float64)

# Kept for the life of the process: a library's kernels are removed when it is collected.
_library: torch.library.Library | None = None
_installed: tuple[str, ...] = ()


def _dense(tensor: Any) -> bool:
    """A meta tensor of a floating dtype, strided and contiguous: the case answered here."""
    return (
        isinstance(tensor, torch.Tensor)
        and tensor.device.type == "meta"
        and tensor.layout == torch.strided
        and tensor.dtype in _FLOATS
        and tensor.is_contiguous()
    )


def _real(*values: Any) -> bool:
    """Plain real arguments (a slope, a bound, alpha): a complex one changes the dtype or raises."""
    return all(value is None or isinstance(value, numbers.Real) for value in values)


def _reals(*args: Any, **kwargs: Any) -> bool:
    return _real(*args, *kwargs.values())


def _unary(accepts: Callable[..., bool] = _reals) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An op whose output is its floating input's shape and dtype, given arguments that
    ``accepts`` (else torch's kernel decides, and raises what it raises)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def kernel(a: Any, *args: Any, **kwargs: Any) -> Any:
            if _dense(a) and accepts(*args, **kwargs):
                return a.new_empty(a.shape)
            return original(a, *args, **kwargs)

        return kernel

    return make


def _gelu_arguments(*args: Any, **kwargs: Any) -> bool:
    approximate = kwargs.get("approximate", "none")
    return not args and set(kwargs) <= {"approximate"} and approximate in ("none", "tanh")


def _clamp_arguments(*args: Any, **kwargs: Any) -> bool:
    bounds = (*args, *kwargs.values())
    return _real(*bounds) and any(bound is not None for bound in bounds)


def _binary(original: Callable[..., Any]) -> Callable[..., Any]:
    """add, sub, mul, div of a tensor and one of the same shape and dtype, or a real number
    or 0-dimensional tensor: a dimensioned floating tensor's dtype wins over those."""

    def kernel(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            _dense(a)
            and a.dim() > 0
            and _reals(*args, **kwargs)
            and (
                isinstance(b, numbers.Real)
                or (_dense(b) and b.dtype == a.dtype and b.shape == a.shape)
                or (
                    isinstance(b, torch.Tensor)
                    and b.dim() == 0
                    and b.layout == torch.strided
                    and not b.is_complex()
                )
            )
        ):
            return a.new_empty(a.shape)
        return original(a, b, *args, **kwargs)

    return kernel


def _cat(original: Callable[..., Any]) -> Callable[..., Any]:
    def kernel(tensors: Any, dim: int = 0) -> Any:
        first = tensors[0] if len(tensors) else None
        if first is not None and _dense(first) and first.dim() > 0 and isinstance(dim, int):
            rank = first.dim()
            axis = dim + rank if dim < 0 else dim
            if 0 <= axis < rank and all(
                _dense(t)
                and t.dtype == first.dtype
                and t.dim() == rank
                and all(t.shape[i] == first.shape[i] for i in range(rank) if i != axis)
                for t in tensors
            ):
                shape = list(first.shape)
                shape[axis] = sum(t.shape[axis] for t in tensors)
                return first.new_empty(shape)
        return original(tensors, dim)

    return kernel


def _batch_norm(original: Callable[..., Any]) -> Callable[..., Any]:
    """native_batch_norm: the output, and the saved mean and inverse deviation per channel."""

    def kernel(x: Any, weight: Any, bias: Any, mean: Any, var: Any, *args: Any) -> Any:
        if (
            _dense(x)
            and x.dtype in _NORM_FLOATS
            and x.dim() >= 2
            and all(
                t is None or (isinstance(t, torch.Tensor) and t.dim() == 1 and t.shape[0] == x.shape[1])
                for t in (weight, bias, mean, var)
            )
            and _reals(*args)
        ):
            channels = (x.shape[1],)
            return x.new_empty(x.shape), x.new_empty(channels), x.new_empty(channels)
        return original(x, weight, bias, mean, var, *args)

    return kernel


def _mean(original: Callable[..., Any]) -> Callable[..., Any]:
    """mean over named dimensions (a global average pool), without a dtype."""

    def kernel(a: Any, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        if _dense(a) and isinstance(dim, (list, tuple)) and dim and kwargs.get("dtype") is None:
            rank = a.dim()
            axes = {d + rank if isinstance(d, int) and d < 0 else d for d in dim}
            if len(axes) == len(dim) and all(isinstance(d, int) and 0 <= d < rank for d in axes):
                if keepdim:
                    shape = [1 if i in axes else s for i, s in enumerate(a.shape)]
                else:
                    shape = [s for i, s in enumerate(a.shape) if i not in axes]
                return a.new_empty(shape)
        return original(a, dim, keepdim, **kwargs)

    return kernel


_KERNELS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "relu": _unary(),
    "gelu": _unary(_gelu_arguments),
    "hardtanh": _unary(),  # nn.ReLU6
    "leaky_relu": _unary(),
    "elu": _unary(),
    "silu": _unary(),
    "clamp": _unary(_clamp_arguments),
    "pow.Tensor_Scalar": _unary(),
    "add.Tensor": _binary,
    "sub.Tensor": _binary,
    "mul.Tensor": _binary,
    "div.Tensor": _binary,
    "cat": _cat,
    "native_batch_norm": _batch_norm,
    "mean.dim": _mean,
}


def original_kernel(name: str) -> Callable[..., Any] | None:
    """torch's Python meta kernel for ``aten::name``, chosen as torch chose it
    (``torch._meta_registrations.activate_meta``); None where it has none in Python."""
    try:
        from torch._decomp import global_decomposition_table
    except ImportError:
        return None
    op_name, _, overload = name.partition(".")
    packet = getattr(torch.ops.aten, op_name, None)
    op = getattr(packet, overload or "default", None)
    if op is None or op.is_view:
        return None  # torch registers no Python meta kernel for a view
    for kind in ("meta", "post_autograd", "pre_autograd"):
        table = global_decomposition_table.get(kind, {})
        if op in table:
            return table[op]
    return None


def install() -> list[str]:
    """Register the fast kernels (once per process); the ops that got one."""
    global _library, _installed
    if _library is not None:
        return list(_installed)
    # torch's own kernels first (imported with torch today), then these over them.
    import torch._meta_registrations

    library = torch.library.Library("aten", "IMPL", "Meta")
    installed = []
    for name, make in _KERNELS.items():
        original = original_kernel(name)
        if original is None:
            continue
        # A torch without these internals keeps its own kernels: slower, never wrong.
        with contextlib.suppress(Exception):
            library.impl(name, make(original))
            installed.append(name)
    _library, _installed = library, tuple(installed)
    return installed
