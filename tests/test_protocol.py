"""Framing and strict parsing of what crosses the trust boundary."""

from __future__ import annotations

import json
import socket
import struct

import pytest

from grader import settings
from grader.sandbox.messages import Structure
from grader.sandbox.protocol import Message, ProtocolError, Target, receive_message, send_message


def _pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair()


def test_round_trip_with_blobs() -> None:
    a, b = _pair()
    send_message(a, Message({"id": 7, "op": "ping"}, (b"one", b"")))
    received = receive_message(b)
    assert received.header == {"id": 7, "op": "ping"}
    assert received.blobs == (b"one", b"")


def test_oversized_header_is_refused_before_it_is_read() -> None:
    a, b = _pair()
    a.sendall(struct.pack(">I", settings.MAX_HEADER_BYTES + 1))
    with pytest.raises(ProtocolError, match="exceeds the cap"):
        receive_message(b)


def test_oversized_blob_is_refused() -> None:
    a, b = _pair()
    header = json.dumps({"id": 1, "blob_sizes": [settings.MAX_BLOB_BYTES + 1]}).encode()
    a.sendall(struct.pack(">I", len(header)) + header)
    with pytest.raises(ProtocolError, match="out of bounds"):
        receive_message(b)


def test_header_must_be_a_json_object() -> None:
    a, b = _pair()
    for raw in (b"\xff\xfe", b"[1, 2]"):
        a.sendall(struct.pack(">I", len(raw)) + raw)
        with pytest.raises(ProtocolError):
            receive_message(b)


def test_deadline_is_kept_when_the_sender_stalls() -> None:
    import time

    a, b = _pair()
    a.sendall(struct.pack(">I", 10) + b"{")
    with pytest.raises(TimeoutError):
        receive_message(b, deadline=time.monotonic() + 0.2)


def test_a_true_is_not_a_count() -> None:
    with pytest.raises(ProtocolError):
        Target.from_json({"module": "m", "builder": "b", "kwargs": {}, "seed": True})


def test_structure_rejects_wrong_types() -> None:
    good = {
        "output": {"kind": "tensor", "type_name": "Tensor", "shape": [1, 2], "device": "meta"},
        "layers": [],
        "parameter_count": 0,
        "ops": [],
    }
    assert Structure.from_json(good).output.shape == (1, 2)
    for broken in (
        {**good, "parameter_count": "1344"},
        {**good, "output": {**good["output"], "kind": "Tensor-ish"}},
        {**good, "output": {**good["output"], "shape": ["32"]}},
        {**good, "output": {**good["output"], "shape": [True, 2]}},
        {**good, "output": {**good["output"], "shape": [1.0, 2]}},
        {**good, "output": {**good["output"], "shape": [1] * 17}},
        {**good, "calls": [["conv", [2, False]]]},
        {**good, "layers": [{"path": 1}]},
    ):
        with pytest.raises(ProtocolError):
            Structure.from_json(broken)
