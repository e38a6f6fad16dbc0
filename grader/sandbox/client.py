"""The judge side of the trust boundary: start children, ask, time out, kill.

The judge never imports student code. It asks a child (``child.py``) through
numbered requests and believes only data: JSON parsed into typed messages and
tensors as raw bytes of a named element type (``tensors.py``). A child that times out,
dies or answers out of turn is killed with its whole process group, the check
that asked fails with a message saying so, and a fresh child serves the next.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from grader import settings
from grader.failures import (
    CHILD_KINDS,
    Failure,
    FailureKind,
    cpu_limit_message,
    file_size_message,
    timeout_message,
)
from grader.i18n import N_, _
from grader.sandbox import isolation, tensors
from grader.sandbox.capture import OutputCapture
from grader.sandbox.messages import OutputInfo, Structure
from grader.sandbox.protocol import Message, ProtocolError, Target, expect, frame_bytes, receive_message
from grader.sandbox.tensors import Dense, TensorSource
from grader.sandbox.zygote import ExitStatus, Zygote, wait_for

#: Failures of one request that say nothing of the next: forward raised on this input, or these
#: weights did not load. Any other failure (a hang, a crash, an import error) is not asked again.
_ONE_REQUEST_KINDS = frozenset({FailureKind.FORWARD_RAISED, FailureKind.LOAD_WEIGHTS_FAILED})


class SubmissionFailed(Exception):
    """Student code could not answer a request; the check that asked fails."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True, kw_only=True)
class RunOutput:
    """One forward pass: what it returned, the tensor if any (on the CPU; ``info.device`` says
    where it was made), and captured outputs of the layers that hold parameters."""

    info: OutputInfo
    tensor: Any = None
    layers: dict[str, Any] | None = None


@dataclass
class ChildProcess:
    pid: int
    sock: socket.socket
    capture: OutputCapture
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
        capture, output_end = OutputCapture.pipe()
        try:
            pid = self.zygote.spawn(
                submission=submission,
                memory_bytes=memory_bytes,
                child_socket=child_end.fileno(),
                capture_fd=output_end,
            )
        finally:
            child_end.close()
            os.close(output_end)
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
        capture, output_end = OutputCapture.pipe()
        command = [
            sys.executable,
            "-I",
            "-m",
            "grader.sandbox.child",
            f"--socket-fd={child_end.fileno()}",
            f"--capture-fd={output_end}",
            f"--memory-bytes={memory_bytes}",
            f"--submission={submission}",
        ]
        try:
            popen = subprocess.Popen(
                command,
                pass_fds=(child_end.fileno(), output_end),
                stdin=subprocess.DEVNULL,
                stdout=output_end,
                stderr=output_end,
                start_new_session=True,
            )
        finally:
            child_end.close()
            os.close(output_end)
        return ChildProcess(pid=popen.pid, sock=judge_end, capture=capture, popen=popen)

    def wait(self, child: ChildProcess, timeout: float) -> ExitStatus | None:
        return wait_for(child.pid, timeout)

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
    """One child at a time serving one submission folder, restarted after a failure.

    ``child``: one a sandbox before handed over (``handover``): what it printed so far is not
    this sandbox's.
    """

    def __init__(
        self,
        *,
        launcher: Launcher,
        submission: Path,
        timeout_s: float = settings.REQUEST_TIMEOUT_S,
        memory_bytes: int = settings.CHILD_MEMORY_BYTES,
        child: ChildProcess | None = None,
    ) -> None:
        self.launcher = launcher
        self.submission = submission
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.child = child
        if child is not None:
            child.capture.restart()
        # Whether any request failed: its child, alive or not, is then not handed over.
        self.failed = False
        self.ids = itertools.count(1)
        # A target whose child hung or died is not asked again: the answer would be
        # the same, and each retry would cost another timeout.
        self.fatal: dict[str, Failure] = {}
        self.answered_modules: set[str] = set()

    def inspect(self, target: Target, input_shape: tuple[int, ...]) -> Structure:
        reply, _outputs = self.call(target, {"op": "inspect", "input_shape": list(input_shape)})
        try:
            return Structure.from_json(reply.header.get("result"))
        except ProtocolError as error:
            raise self._protocol_failure(str(error)) from None

    def run(
        self,
        target: Target,
        inputs: Any,
        *,
        weights: dict[str, Any] | None = None,
        device: str = "cpu",
        capture_layers: bool = False,
        zeroed: bool = False,
    ) -> RunOutput:
        """Forward ``inputs`` once, with one weight set (every tensor the judge's) or as built.

        ``inputs`` is a shape on the meta device. The input and the weights follow the
        request in bounded frames; the reply's tensors come back the same way.
        """
        header: dict[str, Any] = {
            "op": "run",
            "device": device,
            "capture_layers": capture_layers,
            "zeroed": zeroed,  # every parameter zero: for a shape, which values do not change
        }
        sources: list[TensorSource] = []
        if device == "meta":
            header["input_shape"] = list(inputs)
        else:
            sources = [Dense.of("input", inputs)]
            for name, weight in sorted((weights or {}).items()):
                # A recipe (grader/judge/weights.py), or a tensor in memory.
                source = weight if hasattr(weight, "piece") else Dense.of(name, weight)
                if source.info.name != name:
                    raise ValueError(f"the weight filed as {name!r} is named {source.info.name!r}")
                sources.append(source)
        reply, outputs = self.call(target, header, sources)
        try:
            info = OutputInfo.from_json(expect(reply.header.get("result"), dict, "result").get("info"))
        except ProtocolError as error:
            raise self._protocol_failure(str(error)) from None
        layers = {
            name.removeprefix("layer:"): value for name, value in outputs.items() if name.startswith("layer:")
        }
        return RunOutput(info=info, tensor=outputs.get("output"), layers=layers if capture_layers else None)

    def call(
        self, target: Target, header: dict[str, Any], sources: Sequence[TensorSource] = ()
    ) -> tuple[Message, dict[str, Any]]:
        """Ask the child; its reply, and the tensors that followed it (by name)."""
        key = self._target_key(target)
        for cached in (self.fatal.get(key), self.fatal.get(target.module)):
            if cached is not None:
                raise SubmissionFailed(cached)
        request_id = next(self.ids)
        header = {**header, **tensors.stream_header(sources), "id": request_id, "target": target.to_json()}
        try:
            reply, outputs = self._exchange(Message(header), sources)
        except SubmissionFailed as failed:
            self.failed = True
            if failed.failure.kind in _ONE_REQUEST_KINDS:
                raise  # another input may well work: a network right only at 224×224
            self.fatal[key] = failed.failure
            # A hang is not retried with other arguments either: one timeout per exercise.
            if target.module not in self.answered_modules or failed.failure.kind is FailureKind.TIMEOUT:
                self.fatal[target.module] = failed.failure
            raise
        if reply.header.get("id") != request_id:
            raise self._protocol_failure("a reply answered another request")
        self.answered_modules.add(target.module)
        if reply.header.get("ok") is not True:
            self.failed = True
            raise SubmissionFailed(self._child_error(reply.header.get("error")))
        return reply, outputs

    def _exchange(self, request: Message, sources: Sequence[TensorSource]) -> tuple[Message, dict[str, Any]]:
        if self.child is None:
            self.child = self.launcher.start(submission=self.submission, memory_bytes=self.memory_bytes)
        child = self.child
        deadline = time.monotonic() + self.timeout_s
        try:
            self._send(child, request, deadline)
            for frame in tensors.frames(sources, request.header["id"]):
                self._send(child, frame, deadline)
            self._await_reply(child, deadline)
            reply = receive_message(child.sock, deadline=deadline)
            outputs: dict[str, Any] = {}
            if reply.header.get("ok") is True and reply.header.get("id") == request.header["id"]:
                outputs = tensors.receive_dense(
                    child.sock,
                    reply.header,
                    reply.header["id"],
                    deadline=deadline,
                    max_bytes=settings.MAX_REPLY_TENSOR_BYTES,
                )
        except TimeoutError:
            self._kill()
            raise self._failed(child, FailureKind.TIMEOUT, timeout_message(self.timeout_s)) from None
        except (EOFError, ConnectionError, BrokenPipeError):
            status = self.launcher.wait(child, 2.0)
            self._kill()
            raise SubmissionFailed(self._ended(child, status)) from None
        except ProtocolError as error:
            raise self._protocol_failure(str(error)) from None
        # Everything printed before the reply was sent is in the pipe by now.
        child.capture.drain()
        return reply, outputs

    @staticmethod
    def _send(child: ChildProcess, message: Message, deadline: float) -> None:
        """Send one frame, draining the child's output meanwhile: a child that prints while
        the judge sends a network's weights must not block the pipe it would have to read."""
        data = memoryview(frame_bytes(message))
        child.sock.setblocking(False)
        try:
            while data:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the child did not take the request before the deadline")
                watched = [] if child.capture.ended else [child.capture]
                readable, writable, _errors = select.select(watched, [child.sock], [], remaining)
                if child.capture in readable:
                    child.capture.drain()
                if writable:
                    try:
                        data = data[child.sock.send(data) :]
                    except BlockingIOError:
                        continue
        finally:
            child.sock.setblocking(True)

    @staticmethod
    def _await_reply(child: ChildProcess, deadline: float) -> None:
        """Wait until the reply starts, draining the child's output so it never blocks on it."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply before the deadline")
            watched = [child.sock] if child.capture.ended else [child.sock, child.capture]
            readable, _writable, _errors = select.select(watched, [], [], remaining)
            if child.capture in readable:
                child.capture.drain()
            if child.sock in readable:
                return

    def _ended(self, child: ChildProcess, status: ExitStatus | None) -> Failure:
        """Why a child that closed its socket ended, from its exit status alone."""
        if status is None:
            return self._failure(
                child,
                FailureKind.PROTOCOL,
                "the process running your code closed its connection to the grader without answering",
            )
        if status.code == settings.SANDBOX_FAILED_EXIT:
            return self._failure(
                child, FailureKind.SANDBOX_SETUP, "the grader could not set up the sandbox for your code"
            )
        if status.code == settings.CHILD_CRASHED_EXIT:
            return self._failure(
                child,
                FailureKind.CHILD_CODE_FAILED,
                _(
                    "after your code ran, the grader's code in the same process failed before answering "
                    "(what that process printed is below)"
                ),
            )
        # The kernel signals the limit with SIGXCPU, or SIGKILL where the child is a pid
        # namespace's first process (which ignores SIGXCPU): the CPU time used tells both.
        if status.signal == signal.SIGXCPU or status.cpu_s >= settings.CHILD_LIMITS["cpu_s"]:
            return self._failure(child, FailureKind.CPU_LIMIT, cpu_limit_message())
        if status.signal == signal.SIGXFSZ:
            return self._failure(child, FailureKind.OTHER_LIMIT, file_size_message("grading", ""))
        if status.signal is not None:
            return self._failure(child, FailureKind.SIGNAL, _killed_message(status.signal))
        return self._failure(
            child,
            FailureKind.EXITED,
            _("the process running your code exited with status {code} before answering").format(
                code=status.code
            ),
        )

    def _child_error(self, error: Any) -> Failure:
        child = self.child
        if not isinstance(error, dict):
            return self._failure(child, FailureKind.PROTOCOL, "the child sent a malformed error")
        try:
            kind = FailureKind(error.get("kind"))
        except ValueError:
            kind = None
        if kind not in CHILD_KINDS:
            return self._failure(child, FailureKind.PROTOCOL, "the child sent an unknown error kind")
        return Failure(
            kind=kind,
            message=str(error.get("message", ""))[: settings.MAX_ERROR_MESSAGE_CHARS],
            where=str(error.get("where", ""))[:300],
            traceback=str(error.get("traceback", ""))[: settings.MAX_TRACEBACK_CHARS],
            output=child.capture.text() if child else "",
        )

    def _protocol_failure(self, detail: str) -> SubmissionFailed:
        child = self.child
        self._kill()
        message = f"the process running your code sent an invalid answer ({detail})"
        return self._failed(child, FailureKind.PROTOCOL, message)

    def _failed(self, child: ChildProcess | None, kind: FailureKind, message: str) -> SubmissionFailed:
        return SubmissionFailed(self._failure(child, kind, message))

    @staticmethod
    def _failure(child: ChildProcess | None, kind: FailureKind, message: str) -> Failure:
        return Failure(kind=kind, message=message, output=child.capture.text() if child else "")

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
        # Kept for the failure's message: what it printed before it was stopped.
        child.capture.drain()
        child.capture.close()

    @staticmethod
    def _target_key(target: Target) -> str:
        return f"{target.module}.{target.builder}({sorted(target.kwargs.items())})"

    def prestart(self) -> None:
        """Start the child now, so it sets up its sandbox while the judge does other work (the
        checks of the exercise before); student code runs only when a request asks."""
        if self.child is None:
            self.child = self.launcher.start(submission=self.submission, memory_bytes=self.memory_bytes)

    def handover(self) -> ChildProcess | None:
        """Give up the child, for another exercise of the same submission, where every request
        it was asked succeeded; else end it (see ``close``) and give None.

        A child that raised, hung, crashed or broke a limit may have left its process in any
        state (files held open, a half-made change): the next exercise gets a fresh one.
        """
        if self.failed or self.child is None:
            self.close()
            return None
        child, self.child = self.child, None
        child.capture.drain()
        return child

    def close(self) -> None:
        """End the child: every answer is in, so it is killed, group and all, at once, and not
        waited for (a child left to notice its closed socket and tear down its interpreter
        takes 30 ms, four exercises a submission). Its zygote reaps it."""
        child, self.child = self.child, None
        if child is not None:
            end_child(child)


def end_child(child: ChildProcess) -> None:
    """Kill a child whose answers are all in, group and all, without waiting for it."""
    with contextlib.suppress(OSError):
        child.sock.close()
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)
    child.capture.close()


#: What a signal that killed a child means, where its name alone says little to a student.
_SIGNAL_MEANINGS = {
    "SIGSEGV": N_("segmentation fault"),
    "SIGKILL": N_("by the system or another process, not by the grader"),
    "SIGABRT": N_("aborted"),
    "SIGBUS": N_("bus error"),
    "SIGFPE": N_("arithmetic error"),
}


def _killed_message(number: int) -> str:
    """A child killed by a signal, as ``ExitStatus.describe`` says it, in the student's language."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        return _("the process running your code was killed by signal {number} before answering").format(
            number=number
        )
    if name in _SIGNAL_MEANINGS:
        return _("the process running your code was killed by {signal} ({meaning}) before answering").format(
            signal=name, meaning=_(_SIGNAL_MEANINGS[name])
        )
    return _("the process running your code was killed by {signal} before answering").format(signal=name)
