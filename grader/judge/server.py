"""A judge server: pytest configured and the checks collected once, each judge a fork of it.

A warm parent (grader/judge/launch.py) forks one server per kind of grading (homework,
exercises, hidden checks, language). The server runs pytest as a judge would, up to the
point where the checks would run, and then serves: for each submission it forks a judge,
which takes the submission's options and carries on into pytest's own loop over the
checks it inherited. So a judge pays neither pytest's configuration nor its collection
(about 0.2 s each time), only the checks.

The server computes nothing (forking stays safe) and runs no student code. It talks to its
warm parent over a SOCK_SEQPACKET pair: a request carries the job and the judge's private
zygote as a passed descriptor; the server answers with the judge's pid, and later says when
each judge ended, with its wait status, for the judges are its children, not the warm
parent's.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import settings
from grader.sandbox import hugepages, isolation
from grader.sandbox.zygote import wait_for


@dataclass(frozen=True, kw_only=True)
class JudgeRequest:
    """What one judge takes from its request: the rest (course, exercises, hidden checks,
    language) is the server's."""

    submission: Path
    seed_material: str
    timeout_s: float
    work: Path
    raw_path: Path
    log_path: Path
    environment: dict[str, str]  # the judge's, as the warm parent has it now

    def to_json(self) -> dict[str, Any]:
        return {
            "submission": str(self.submission),
            "seed_material": self.seed_material,
            "timeout_s": self.timeout_s,
            "work": str(self.work),
            "raw_path": str(self.raw_path),
            "log_path": str(self.log_path),
            "environment": self.environment,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JudgeRequest:
        return cls(
            submission=Path(data["submission"]),
            seed_material=str(data["seed_material"]),
            timeout_s=float(data["timeout_s"]),
            work=Path(data["work"]),
            raw_path=Path(data["raw_path"]),
            log_path=Path(data["log_path"]),
            environment={str(k): str(v) for k, v in data["environment"].items()},
        )


#: The wait status read for a judge whose server is gone (the server's end killed it).
SERVER_GONE = -1


class JudgeServer:
    """The warm parent's handle on one server; safe to share between threads."""

    def __init__(self, *, pid: int, control: socket.socket, log: Path) -> None:
        self.pid = pid
        self.control = control
        self.log = log
        self._lock = threading.Lock()
        self._ended: dict[int, int] = {}
        self._gone = False

    @classmethod
    def fork(cls, *, arguments: list[str], environment: dict[str, str], log: Path) -> JudgeServer:
        """Fork a server running ``pytest.main(arguments)``, which must name ``--serve-fd``
        as ``{fd}`` (its end of the control pair); it writes to ``log``."""
        mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            code = settings.EXIT_GRADER_FAILED
            try:
                mine.close()
                # The terminal's Ctrl-C is the warm parent's to handle. The server ends when
                # the warm parent's end of the pair closes, however the warm parent ended.
                os.setpgid(0, 0)
                out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.close(out)
                os.chdir(log.parent)
                os.environ.clear()
                os.environ.update(environment)
                import pytest

                code = int(pytest.main([a.replace("{fd}", str(its.fileno())) for a in arguments]))
            finally:
                os._exit(code)
        its.close()
        return cls(pid=pid, control=mine, log=log)

    @property
    def gone(self) -> bool:
        """Whether the server has ended (seen by the last message read)."""
        return self._gone

    def start(self, request: JudgeRequest, *, zygote_fd: int) -> int:
        """Have the server fork a judge for ``request``; its pid."""
        with self._lock:
            if self._gone:
                raise RuntimeError(f"the judge server has ended:\n{self._log_tail()}")
            try:
                socket.send_fds(self.control, [json.dumps(request.to_json()).encode()], [zygote_fd])
                while True:
                    message = self._receive(block=True)
                    if message is None:
                        raise RuntimeError(f"the judge server has ended:\n{self._log_tail()}")
                    if "pid" in message:
                        return int(message["pid"])
            except OSError as error:
                self._gone = True
                raise RuntimeError(f"the judge server failed: {error}\n{self._log_tail()}") from error

    def poll(self, pid: int) -> int | None:
        """The wait status of judge ``pid`` once it ended (``SERVER_GONE`` if its server
        ended first), else None."""
        with self._lock:
            while pid not in self._ended and self._receive(block=False) is not None:
                pass
            if pid in self._ended:
                return self._ended.pop(pid)
            if self._gone:
                return SERVER_GONE
            return None

    def close(self) -> None:
        """End the server: it kills the judges still running, then exits."""
        with self._lock:
            with contextlib.suppress(OSError):
                self.control.close()
            self._gone = True
        if wait_for(self.pid, 1.0) is not None:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _receive(self, *, block: bool) -> dict[str, Any] | None:
        """One message (recording a judge's end), or None when there is none or the server
        has gone."""
        if self._gone:
            return None
        if not block and not select.select([self.control], [], [], 0)[0]:
            return None
        data = self.control.recv(settings.MAX_JUDGE_REQUEST_BYTES)
        if not data:
            self._gone = True
            return None
        message = json.loads(data)
        if "ended" in message:
            self._ended[int(message["ended"])] = int(message["status"])
        return message

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


# --- the server's side -------------------------------------------------------------------------


def serve(
    control_fd: int,
    become_judge: Callable[[JudgeRequest, int], None],
    before_fork: Callable[[], None] = lambda: None,
) -> None:
    """Fork a judge for each request until the warm parent closes the control socket; then
    kill the judges still running and exit. Returns only in a forked judge, which has its own
    process group, log, folder and environment, after ``become_judge(request, zygote_fd)``.
    ``before_fork`` runs before each judge is forked (it must not compute)."""
    control = socket.socket(fileno=control_fd)
    running: dict[int, int | None] = {}  # pid → its pidfd, where the platform has them
    gc.collect()
    gc.freeze()
    # What pytest's configuration and collection wrote, shared with every judge in huge pages:
    # collapsed a piece at a time between requests, not before the first judges.
    collapsing: Iterator[int] | None = hugepages.collapse_steps(_COLLAPSE_STEP_BYTES)
    try:
        while True:
            pidfds = [fd for fd in running.values() if fd is not None]
            polling = len(pidfds) < len(running)  # no pidfd: look every few milliseconds
            wait = 0.0 if collapsing is not None else 0.005 if polling else None
            readable, _, _ = select.select([control, *pidfds], [], [], wait)
            _reap(control, running)
            if control not in readable:
                if collapsing is not None and next(collapsing, None) is None:
                    collapsing = None
                continue
            data, fds, _flags, _address = socket.recv_fds(control, settings.MAX_JUDGE_REQUEST_BYTES, 1)
            if not data:
                break
            before_fork()
            pid = os.fork()
            if pid == 0:
                for fd in running.values():
                    if fd is not None:
                        os.close(fd)
                control.close()
                request = JudgeRequest.from_json(json.loads(data))
                _become_judge_process(request)
                become_judge(request, fds[0])
                return
            # Both sides set the group, so a judge can be killed whichever runs first.
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            for fd in fds:
                os.close(fd)
            running[pid] = _pidfd(pid)
            control.send(json.dumps({"pid": pid}).encode())
    except BaseException:
        import traceback

        traceback.print_exc()
    for pid in running:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    for pid in running:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    sys.stdout.flush()
    os._exit(0)


#: A judge server collapses this much of its memory into huge pages between two requests.
_COLLAPSE_STEP_BYTES = 16 << 20


def _reap(control: socket.socket, running: dict[int, int | None]) -> None:
    for pid in list(running):
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            continue
        fd = running.pop(pid)
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(OSError):
            control.send(json.dumps({"ended": pid, "status": status}).encode())


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _become_judge_process(request: JudgeRequest) -> None:
    os.setpgid(0, 0)
    isolation.die_with_parent()
    log = os.open(request.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(request.work)
    os.environ.clear()
    os.environ.update(request.environment)
