"""Tensors of any size between judge and child, in bounded frames.

A request or reply that carries tensors lists them in its header (name, dtype,
shape: ``TensorInfo``); the frames that follow each hold pieces of them — flat
runs of elements as raw bytes of the announced type, which nothing but
``torch.frombuffer`` ever reads — of at most ``settings.TENSOR_FRAME_BYTES`` together.
Both sides cut the same list the same way (``plan``), so the receiver knows exactly which pieces each frame
must hold and refuses anything else. No tensor is ever whole in one message: a
ResNet's 100 MB of weights crosses the same caps as a block's few kilobytes, and
a receiver can write each piece where it belongs without holding the whole.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from grader import settings
from grader.sandbox.protocol import Message, ProtocolError, expect

Shape = tuple[int, ...]

#: Element types that may cross, with their sizes in bytes.
DTYPE_BYTES = {
    "float32": 4,
    "float64": 8,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}


@dataclass(frozen=True, kw_only=True)
class TensorInfo:
    """What one tensor of a stream is: its name, element type and shape."""

    name: str
    dtype: str
    shape: Shape

    @property
    def numel(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count

    @property
    def itemsize(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def nbytes(self) -> int:
        return self.numel * self.itemsize

    def to_json(self) -> list[Any]:
        return [self.name, self.dtype, list(self.shape)]

    @classmethod
    def from_json(cls, data: Any) -> TensorInfo:
        items = expect(data, list, "tensor")
        if len(items) != 3:
            raise ProtocolError("tensor: expected [name, dtype, shape]")
        name, dtype, shape = items
        if expect(dtype, str, "tensor.dtype") not in DTYPE_BYTES:
            raise ProtocolError(f"tensor.dtype {dtype!r} may not cross")
        dims = expect(shape, list, "tensor.shape")
        if len(dims) > 16 or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
            raise ProtocolError("tensor.shape: expected at most 16 sizes ≥ 0")
        return cls(name=expect(name, str, "tensor.name"), dtype=dtype, shape=tuple(dims))

    @classmethod
    def of(cls, name: str, tensor: Any) -> TensorInfo:
        return cls(name=name, dtype=dtype_name(tensor.dtype), shape=tuple(int(s) for s in tensor.shape))


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


class TensorSource(Protocol):
    """A tensor the sender can cut into pieces without holding it whole (``Uniform``)."""

    @property
    def info(self) -> TensorInfo: ...

    def piece(self, start: int, stop: int) -> Any:
        """Elements ``start`` to ``stop`` of the flattened tensor, as a 1-D tensor."""
        ...


@dataclass(frozen=True)
class Dense:
    """A tensor already in memory, as a source."""

    info: TensorInfo
    flat: Any

    @classmethod
    def of(cls, name: str, tensor: Any) -> Dense:
        return cls(TensorInfo.of(name, tensor), tensor.detach().to("cpu").contiguous().reshape(-1))

    def piece(self, start: int, stop: int) -> Any:
        return self.flat[start:stop]  # a view: ``frames`` copies its bytes


#: One piece: (index of the tensor in the stream, first element, element after the last).
Piece = tuple[int, int, int]


def plan(infos: Sequence[TensorInfo], frame_bytes: int = settings.TENSOR_FRAME_BYTES) -> list[list[Piece]]:
    """Cut each tensor into pieces of at most ``frame_bytes``, then pack pieces into frames."""
    frames: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0
    for index, info in enumerate(infos):
        step = max(1, frame_bytes // info.itemsize)
        for start in range(0, info.numel, step):
            stop = min(info.numel, start + step)
            size = (stop - start) * info.itemsize
            if current and (used + size > frame_bytes or len(current) >= settings.MAX_BLOBS):
                frames.append(current)
                current, used = [], 0
            current.append((index, start, stop))
            used += size
    if current:
        frames.append(current)
    return frames


def stream_header(sources: Sequence[TensorSource]) -> dict[str, Any]:
    """What a message's header says of the tensors whose frames follow it."""
    return {"tensors": [source.info.to_json() for source in sources]}


def frames(sources: Sequence[TensorSource], request_id: Any) -> Iterator[Message]:
    """The frames that carry ``sources``, made one at a time (nothing is held whole)."""
    for pieces in plan([source.info for source in sources]):
        blobs = tuple(_raw(sources[i].piece(start, stop), sources[i].info) for i, start, stop in pieces)
        yield Message({"id": request_id, "pieces": [[i, start] for i, start, _ in pieces]}, blobs)


class TensorSink(Protocol):
    def accept(self, index: int, start: int, piece: Any) -> None:
        """Take elements ``start``… of tensor ``index`` (a 1-D tensor of the announced dtype)."""
        ...


def announced(header: dict[str, Any], *, max_bytes: int) -> tuple[TensorInfo, ...]:
    """The tensors a header announces, refused when together they exceed ``max_bytes``."""
    items = expect(header.get("tensors", []), list, "tensors")
    if len(items) > settings.MAX_STREAM_TENSORS:
        raise ProtocolError(f"{len(items)} tensors exceed the cap")
    infos = tuple(TensorInfo.from_json(item) for item in items)
    total = sum(info.nbytes for info in infos)
    if total > max_bytes:
        raise ProtocolError(f"{total:,} bytes of tensors exceed the cap of {max_bytes:,}")
    return infos


def receive(
    next_frame: Callable[[], Message], infos: Sequence[TensorInfo], request_id: Any, sink: TensorSink
) -> None:
    """Read the frames that carry ``infos``, exactly as ``plan`` cuts them, into ``sink``."""
    for pieces in plan(infos):
        message = next_frame()
        if message.header.get("id") != request_id:
            raise ProtocolError("a frame of tensors belongs to another request")
        if message.header.get("pieces") != [[i, start] for i, start, _ in pieces] or len(
            message.blobs
        ) != len(pieces):
            raise ProtocolError("a frame of tensors holds other pieces than announced")
        for (index, start, stop), blob in zip(pieces, message.blobs, strict=True):
            sink.accept(index, start, _piece(blob, infos[index], stop - start))


def _raw(piece: Any, info: TensorInfo) -> bytes:
    """A piece's elements as bytes (a copy: the piece may be a view of something larger)."""
    import ctypes

    piece = piece.to(torch_dtype(info.dtype)).contiguous()
    return ctypes.string_at(piece.data_ptr(), piece.numel() * piece.element_size())


def _piece(blob: bytes, info: TensorInfo, count: int) -> Any:
    import torch

    if len(blob) != count * info.itemsize:
        raise ProtocolError(f"a piece of {info.name!r} is not {count} elements of {info.dtype}")
    if not count:
        return torch.empty(0, dtype=torch_dtype(info.dtype))
    # Raw bytes of a plain element type: there is nothing in them to execute. The piece is copied
    # where it belongs before its buffer is reused; bool is read as bytes, then checked.
    if info.dtype == "bool":
        raw = torch.frombuffer(bytearray(blob), dtype=torch.uint8)
        if bool((raw > 1).any()):
            raise ProtocolError(f"a piece of {info.name!r} holds booleans other than 0 and 1")
        return raw.to(torch.bool)
    return torch.frombuffer(
        bytearray(blob) if isinstance(blob, bytes) else blob, dtype=torch_dtype(info.dtype)
    )


class DenseSink:
    """Receives tensors whole, into memory allocated once their sizes were checked."""

    def __init__(self, infos: Sequence[TensorInfo]) -> None:
        import torch

        self.infos = tuple(infos)
        self.flats = [torch.empty(info.numel, dtype=torch_dtype(info.dtype)) for info in infos]

    def accept(self, index: int, start: int, piece: Any) -> None:
        self.flats[index][start : start + piece.numel()] = piece

    def tensors(self) -> dict[str, Any]:
        return {info.name: flat.view(info.shape) for info, flat in zip(self.infos, self.flats, strict=True)}


def receive_dense(
    sock: socket.socket, header: dict[str, Any], request_id: Any, *, deadline: float | None, max_bytes: int
) -> dict[str, Any]:
    """The tensors announced in ``header``, read whole from ``sock``."""
    from grader.sandbox.protocol import receive_message

    infos = announced(header, max_bytes=max_bytes)
    sink = DenseSink(infos)
    receive(lambda: receive_message(sock, deadline=deadline), infos, request_id, sink)
    return sink.tensors()
