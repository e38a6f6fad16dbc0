"""The judge side of the trust boundary: start children, ask, time out, kill.

The judge never imports student code. It asks a child (``child.py``) through
numbered requests and believes only data: JSON parsed into typed messages and
tensors read with ``torch.load(weights_only=True)``. A child that times out,
dies or answers out of turn is killed with its whole process group, the check
that asked fails with a message saying so, and a fresh child serves the next.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from grader import settings
from grader.sandbox import isolation
from grader.sandbox.messages import OutputInfo, Structure
from grader.sandbox.protocol import (
    ChildErrorKind,
    Message,
    ProtocolError,
    Target,
    blob_to_tensor,
    expect,
    receive_message,
    send_message,
    tensor_to_blob,
)
from grader.sandbox.zygote import ExitStatus, Zygote

TIMEOUT = "timeout"
DIED = "died"
PROTOCOL = "protocol"
SANDBOX = "sandbox"  # the grader's failure: no student code ran


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Why a request got no good answer: a ChildErrorKind value, or timeout/died/protocol."""

    kind: str
    message: str
    where: str = ""
    output: str = ""


class SubmissionFailed(Exception):
    """Student code could not answer a request; the check that asked fails."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True, kw_only=True)
class RunOutput:
    """One forward pass: what it returned, the tensor if any, and captured layer outputs."""

    info: OutputInfo
    tensor: Any = None
    layers: dict[str, Any] | None = None


@dataclass
class ChildProcess:
    pid: int
    sock: socket.socket
    capture: IO[bytes]
    popen: subprocess.Popen[bytes] | None = None


class Launcher(Protocol):
    def start(self, *, submission: Path, memory_bytes: int) -> ChildProcess: ...

    def wait(self, child: ChildProcess, timeout: float) -> ExitStatus | None: ...

    def isolation(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class ForkLauncher:
    """Children forked from the warm zygote (Linux): about as cheap as a fork."""

    def __init__(self, zygote: Zygote) -> None:
        self.zygote = zygote

    def start(self, *, submission: Path, memory_bytes: int) -> ChildProcess:
        judge_end, child_end = socket.socketpair()
        capture = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
        pid = self.zygote.spawn(
            submission=submission,
            memory_bytes=memory_bytes,
            child_socket=child_end.fileno(),
            capture_fd=capture.fileno(),
        )
        child_end.close()
        return ChildProcess(pid=pid, sock=judge_end, capture=capture)

    def wait(self, child: ChildProcess, timeout: float) -> ExitStatus | None:
        return self.zygote.wait(child.pid, timeout)

    def isolation(self) -> dict[str, Any]:
        return self.zygote.isolation()

    def close(self) -> None:
        self.zygote.close()


class SpawnLauncher:
    """Children started as fresh interpreters, where forking a warm parent is unsafe."""

    def start(self, *, submission: Path, memory_bytes: int) -> ChildProcess:
        judge_end, child_end = socket.socketpair()
        capture = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
        command = [
            sys.executable,
            "-I",
            "-m",
            "grader.sandbox.child",
            f"--socket-fd={child_end.fileno()}",
            f"--capture-fd={capture.fileno()}",
            f"--memory-bytes={memory_bytes}",
            f"--submission={submission}",
        ]
        popen = subprocess.Popen(
            command,
            pass_fds=(child_end.fileno(), capture.fileno()),
            stdin=subprocess.DEVNULL,
            stdout=capture,
            stderr=capture,
            start_new_session=True,
        )
        child_end.close()
        return ChildProcess(pid=popen.pid, sock=judge_end, capture=capture, popen=popen)

    def wait(self, child: ChildProcess, timeout: float) -> ExitStatus | None:
        assert child.popen is not None
        try:
            code = child.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return ExitStatus(signal=-code) if code < 0 else ExitStatus(code=code)

    def isolation(self) -> dict[str, Any]:
        plan = isolation.Plan(layers=(isolation.PROCESS_GROUP, isolation.RESOURCE_LIMITS))
        return plan.to_json()

    def close(self) -> None:
        pass


def start_method(requested: str | None = None) -> str:
    """Fork from a warm zygote where that is safe (Linux), spawn elsewhere."""
    return (
        requested
        or os.environ.get("GRADER_START_METHOD")
        or ("fork" if sys.platform.startswith("linux") else "spawn")
    )


def default_launcher(
    requested: str | None = None, *, zygote_fd: int | None = None, protected: list[Path] = ()
) -> Launcher:
    if zygote_fd is not None:
        return ForkLauncher(Zygote.attach(zygote_fd))
    if start_method(requested) == "fork":
        return ForkLauncher(Zygote.start(protected=list(protected)))
    return SpawnLauncher()


class Sandbox:
    """One child at a time serving one submission folder, restarted after a failure."""

    def __init__(
        self,
        *,
        launcher: Launcher,
        submission: Path,
        timeout_s: float = settings.REQUEST_TIMEOUT_S,
        memory_bytes: int = settings.CHILD_MEMORY_BYTES,
    ) -> None:
        self.launcher = launcher
        self.submission = submission
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.child: ChildProcess | None = None
        self.ids = itertools.count(1)
        # A target whose child hung or died is not asked again: the answer would be
        # the same, and each retry would cost another timeout.
        self.fatal: dict[str, Failure] = {}
        self.answered_modules: set[str] = set()

    def inspect(self, target: Target, input_shape: tuple[int, ...]) -> Structure:
        reply = self.call(target, {"op": "inspect", "input_shape": list(input_shape)})
        try:
            return Structure.from_json(reply.header.get("result"))
        except ProtocolError as error:
            raise self._protocol_failure(str(error)) from None

    def run(
        self,
        target: Target,
        inputs: Any,
        *,
        weight_sets: list[dict[str, Any]] | None = None,
        device: str = "cpu",
        capture_layers: bool = False,
    ) -> list[RunOutput]:
        """Forward ``inputs`` once per weight set (or once, as built)."""
        header: dict[str, Any] = {"op": "run", "device": device, "capture_layers": capture_layers}
        blobs: list[bytes] = []
        if device == "meta":
            header["input_shape"] = list(inputs)
            blobs.append(b"")
        else:
            blobs.append(tensor_to_blob(inputs))
            blobs.extend(tensor_to_blob(weights) for weights in weight_sets or [])
        reply = self.call(target, header, blobs)
        try:
            return self._outputs(reply, device)
        except (ProtocolError, RuntimeError, ValueError, TypeError, IndexError) as error:
            raise self._protocol_failure(str(error)) from None

    def _outputs(self, reply: Message, device: str) -> list[RunOutput]:
        import torch

        result = expect(reply.header.get("result"), dict, "result")
        outputs = []
        for item in expect(result.get("outputs"), list, "outputs"):
            entry = expect(item, dict, "output")
            info = OutputInfo.from_json(entry.get("info"))
            tensor = layers = None
            if "output_blob" in entry:
                # Left on the device it came from, so the device check can see where it ran.
                tensor = blob_to_tensor(reply.blobs[expect(entry["output_blob"], int, "blob")])
                if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
                    raise ProtocolError("output blob is not a dense tensor")
            if "layers_blob" in entry:
                layers = blob_to_tensor(
                    reply.blobs[expect(entry["layers_blob"], int, "blob")], map_location="cpu"
                )
                if not isinstance(layers, dict) or not all(
                    isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in layers.items()
                ):
                    raise ProtocolError("layer outputs are not a dict of tensors")
            outputs.append(RunOutput(info=info, tensor=tensor, layers=layers))
        return outputs

    def call(self, target: Target, header: dict[str, Any], blobs: Sequence[bytes] = ()) -> Message:
        key = self._target_key(target)
        for cached in (self.fatal.get(key), self.fatal.get(target.module)):
            if cached is not None:
                raise SubmissionFailed(cached)
        request_id = next(self.ids)
        request = Message({**header, "id": request_id, "target": target.to_json()}, tuple(blobs))
        try:
            reply = self._exchange(request)
        except SubmissionFailed as failed:
            self.fatal[key] = failed.failure
            # A hang is not retried with other arguments either: one timeout per exercise.
            if target.module not in self.answered_modules or failed.failure.kind == TIMEOUT:
                self.fatal[target.module] = failed.failure
            raise
        if reply.header.get("id") != request_id:
            raise self._protocol_failure("a reply answered another request")
        self.answered_modules.add(target.module)
        if reply.header.get("ok") is not True:
            raise SubmissionFailed(self._child_error(reply.header.get("error")))
        return reply

    def _exchange(self, request: Message) -> Message:
        if self.child is None:
            self.child = self.launcher.start(submission=self.submission, memory_bytes=self.memory_bytes)
        child = self.child
        deadline = time.monotonic() + self.timeout_s
        try:
            send_message(child.sock, request)
            return receive_message(child.sock, deadline=deadline)
        except TimeoutError:
            self._kill()
            raise SubmissionFailed(
                Failure(
                    kind=TIMEOUT,
                    message=(
                        f"your code did not finish within {self.timeout_s:g} s and was stopped "
                        "(an infinite loop, or a very slow computation?)"
                    ),
                    output=self._output_tail(child),
                )
            ) from None
        except (EOFError, ConnectionError, BrokenPipeError):
            status = self.launcher.wait(child, 2.0)
            self._kill()
            if status is not None and status.code == settings.SANDBOX_FAILED_EXIT:
                raise SubmissionFailed(
                    Failure(
                        kind=SANDBOX,
                        message="the grader could not set up the sandbox for your code",
                        output=self._output_tail(child),
                    )
                ) from None
            if status is not None and status.code == settings.CHILD_CRASHED_EXIT:
                message = (
                    "your code changed Python or torch so that the grader's code beside it "
                    "failed before answering"
                )
            else:
                how = status.describe() if status else "stopped answering"
                message = f"the process running your code {how} before answering"
            raise SubmissionFailed(
                Failure(
                    kind=DIED,
                    message=message,
                    output=self._output_tail(child),
                )
            ) from None
        except ProtocolError as error:
            raise self._protocol_failure(str(error)) from None

    def _child_error(self, error: Any) -> Failure:
        if not isinstance(error, dict):
            return Failure(kind=PROTOCOL, message="the child sent a malformed error")
        kind = error.get("kind")
        if kind not in {k.value for k in ChildErrorKind}:
            return Failure(kind=PROTOCOL, message="the child sent an unknown error kind")
        return Failure(
            kind=kind,
            message=str(error.get("message", ""))[:2000],
            where=str(error.get("where", ""))[:300],
            output=self._output_tail(self.child) if self.child else "",
        )

    def _protocol_failure(self, detail: str) -> SubmissionFailed:
        child = self.child
        self._kill()
        return SubmissionFailed(
            Failure(
                kind=PROTOCOL,
                message=f"the process running your code sent an invalid answer ({detail})",
                output=self._output_tail(child) if child else "",
            )
        )

    def _kill(self) -> None:
        child, self.child = self.child, None
        if child is None:
            return
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGKILL)
        self.launcher.wait(child, 5.0)
        with contextlib.suppress(OSError):
            child.sock.close()

    @staticmethod
    def _output_tail(child: ChildProcess) -> str:
        try:
            size = os.fstat(child.capture.fileno()).st_size
            start = max(0, size - settings.OUTPUT_TAIL_BYTES)
            data = os.pread(child.capture.fileno(), settings.OUTPUT_TAIL_BYTES, start)
        except OSError:
            return ""
        text = data.decode("utf-8", errors="replace")
        return ("…" + text) if start else text

    @staticmethod
    def _target_key(target: Target) -> str:
        return f"{target.module}.{target.builder}({sorted(target.kwargs.items())})"

    def close(self) -> None:
        child, self.child = self.child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            child.sock.close()
        # A child that ignores the closed socket is killed, group and all.
        if self.launcher.wait(child, 1.0) is None:
            self.child = child
            self._kill()
        with contextlib.suppress(OSError):
            child.capture.close()
