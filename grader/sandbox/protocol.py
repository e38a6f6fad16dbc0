"""The messages that cross between the judge and a sandboxed child, and their framing.

Only data crosses: a JSON header (size-capped, parsed strictly) followed by raw
blobs, which hold pieces of tensors as bytes of a named element type
(grader/sandbox/tensors.py). Nothing is ever unpickled from the child.

A frame is: 4-byte big-endian header length, the UTF-8 JSON header, then the
blobs whose lengths the header lists under ``blob_sizes``. Every request carries
an ``id`` and every reply repeats it, so a late or forged reply is detected.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from grader import settings

_LENGTH = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """Which builder to call, with which arguments, under which seed."""

    module: str
    builder: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "builder": self.builder,
            "kwargs": self.kwargs,
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data: Any) -> Target:
        obj = expect(data, dict, "target")
        return cls(
            module=expect(obj.get("module"), str, "target.module"),
            builder=expect(obj.get("builder"), str, "target.builder"),
            kwargs=expect(obj.get("kwargs", {}), dict, "target.kwargs"),
            seed=expect(obj.get("seed", 0), int, "target.seed"),
        )


@dataclass(frozen=True)
class Message:
    """One frame: a JSON header and the blobs it announces."""

    header: dict[str, Any]
    blobs: tuple[bytes, ...] = ()


def frame_bytes(message: Message) -> bytes:
    """The bytes of one frame, refused when it exceeds the caps the receiver enforces."""
    header = dict(message.header)
    header["blob_sizes"] = [len(b) for b in message.blobs]
    raw = json.dumps(header, separators=(",", ":")).encode()
    if len(raw) > settings.MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {len(raw)} bytes exceeds the cap")
    if len(message.blobs) > settings.MAX_BLOBS or any(
        len(b) > settings.MAX_BLOB_BYTES for b in message.blobs
    ):
        raise ProtocolError("a frame's blobs exceed the caps")
    return b"".join([_LENGTH.pack(len(raw)), raw, *message.blobs])


def send_message(sock: socket.socket, message: Message) -> None:
    sock.sendall(frame_bytes(message))


def receive_message(sock: socket.socket, *, deadline: float | None = None) -> Message:
    """Read one frame, enforcing the caps before reading what they bound.

    With a ``deadline`` (a ``time.monotonic`` value), raise ``TimeoutError`` once
    it passes, however the sender paces its bytes.
    """
    (size,) = _LENGTH.unpack(_receive_exactly(sock, _LENGTH.size, deadline))
    if size > settings.MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {size} bytes exceeds the cap")
    try:
        header = json.loads(_receive_exactly(sock, size, deadline))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"header is not JSON: {error}") from None
    header = expect(header, dict, "header")
    sizes = expect(header.pop("blob_sizes", []), list, "blob_sizes")
    if len(sizes) > settings.MAX_BLOBS:
        raise ProtocolError(f"{len(sizes)} blobs exceed the cap")
    blobs = []
    for blob_size in sizes:
        if not isinstance(blob_size, int) or not 0 <= blob_size <= settings.MAX_BLOB_BYTES:
            raise ProtocolError(f"blob size {blob_size!r} is out of bounds")
        blobs.append(_receive_exactly(sock, blob_size, deadline))
    return Message(header, tuple(blobs))  # bytearrays: a tensor piece is read without a copy


def _receive_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytearray:
    # Allocated once the size is known to be within the caps, and filled in place.
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete reply before the deadline")
            sock.settimeout(remaining)
        count = sock.recv_into(view[received:], min(size - received, 1 << 22))
        if not count:
            raise EOFError("the other side closed the connection")
        received += count
    return buffer


def expect(value: Any, kind: type, what: str) -> Any:
    """Check one field of a message from the other side (raises ProtocolError)."""
    # bool is an int in Python; a JSON true must not pass as a count.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"{what}: expected {kind.__name__}, got {type(value).__name__}")
    return value
