"""A warm fork server: children start in milliseconds instead of re-importing torch.

The zygote is its own interpreter, started by the judge before the judge imports
torch, so the two warm up in parallel. It imports torch, runs the child's code
once on the meta device (the first meta ``relu`` alone imports ``torch._dynamo``,
about a second), and then only forks children on request and reports how they
ended. It never computes on the CPU: a process that has run a multi-threaded CPU
op cannot fork safely (the OpenMP pool does not survive ``fork`` and the child
hangs). The judge never forks, so it may compute freely.

Control messages are JSON over a SOCK_SEQPACKET pair; a spawn request carries
the child's socket and capture file as passed descriptors.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import i18n, settings, silence_missing_numpy
from grader.sandbox import hugepages, isolation


@dataclass(frozen=True)
class ExitStatus:
    """How a child ended: an exit code, or the signal that killed it; and the CPU time it and
    the descendants it waited for used (from ``wait4``: a fact, whatever signal ended it)."""

    code: int | None = None
    signal: int | None = None
    cpu_s: float = 0.0

    def describe(self) -> str:
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            meaning = {
                "SIGSEGV": " (segmentation fault)",
                "SIGKILL": " (by the system or another process, not by the grader)",
                "SIGABRT": " (aborted)",
                "SIGBUS": " (bus error)",
                "SIGFPE": " (arithmetic error)",
            }.get(name, "")
            return f"was killed by {name}{meaning}"
        return f"exited with status {self.code}"

    @classmethod
    def from_wait_status(cls, status: int, cpu_s: float = 0.0) -> ExitStatus:
        if os.WIFSIGNALED(status):
            return cls(signal=os.WTERMSIG(status), cpu_s=cpu_s)
        return cls(code=os.WEXITSTATUS(status), cpu_s=cpu_s)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "signal": self.signal, "cpu_s": self.cpu_s}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExitStatus:
        return cls(code=data.get("code"), signal=data.get("signal"), cpu_s=float(data.get("cpu_s", 0.0)))


class Zygote:
    """The judge's handle on a forked fork server."""

    def __init__(self, control: socket.socket, process: subprocess.Popen[bytes] | None) -> None:
        self.control = control
        self.process = process

    @classmethod
    def attach(cls, control_fd: int) -> Zygote:
        """Use a zygote another process started (``grade submit`` starts it first thing)."""
        return cls(socket.socket(fileno=control_fd), None)

    @classmethod
    def start(cls, *, protected: list[Path], huge_pages: bool = False) -> Zygote:
        """Start the zygote; it warms up while the caller goes on (the first spawn waits).

        ``protected`` folders (the reference, the checks, stored facts) are never made
        readable to a child. ``huge_pages``: for a zygote that forks many children, its
        memory is shared in huge pages after the warm-up (grader/sandbox/hugepages.py).
        """
        judge_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-I", "-m", "grader.sandbox.zygote", f"--control-fd={zygote_end.fileno()}"]
        command += [f"--protect={path}" for path in protected]
        command += ["--huge-pages"] if huge_pages else []
        environment = hugepages.malloc_environment(os.environ) if huge_pages else None
        process = subprocess.Popen(
            command, pass_fds=(zygote_end.fileno(),), stdin=subprocess.DEVNULL, env=environment
        )
        zygote_end.close()
        return cls(judge_end, process)

    def spawn(self, *, submission: Path, memory_bytes: int, child_socket: int, capture_fd: int) -> int:
        request = {"op": "spawn", "submission": str(submission), "memory_bytes": memory_bytes}
        socket.send_fds(self.control, [json.dumps(request).encode()], [child_socket, capture_fd])
        return int(self._reply()["pid"])

    def fork(self, *, language: str | None = None) -> int:
        """A private zygote (a fork of this warm one); returns the fd of its control socket.
        ``language``: what its children's messages are written in, where it is not this one's.
        It ends when every copy of that socket is closed."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = {"op": "fork_zygote", "language": language}
        socket.send_fds(self.control, [json.dumps(request).encode()], [theirs.fileno()])
        theirs.close()
        self._reply()
        return mine.detach()

    def begin_reset(self, token: int) -> bool:
        """Ask it to kill and reap every child it started, for another judge to use it
        (``end_reset`` reads its answer); whether the request was sent."""
        try:
            self.control.sendall(json.dumps({"op": "reset", "token": token}).encode())
        except OSError:
            return False
        return True

    def end_reset(self, token: int, timeout: float) -> bool:
        """Whether it answered reset ``token`` within ``timeout`` (replies a killed judge left
        unread are skipped)."""
        deadline = time.monotonic() + timeout
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                self.control.settimeout(remaining)
                data = self.control.recv(settings.MAX_CONTROL_MESSAGE_BYTES)
                if not data:
                    return False
                if json.loads(data).get("reset") == token:
                    return True
            return False
        except (OSError, ValueError):
            return False
        finally:
            with contextlib.suppress(OSError):
                self.control.settimeout(None)

    def isolation(self) -> dict[str, Any]:
        """The layers every child gets (decided by the zygote before any student code)."""
        self.control.sendall(json.dumps({"op": "isolation"}).encode())
        return self._reply()["isolation"]

    def wait(self, pid: int, timeout: float) -> ExitStatus | None:
        self.control.sendall(json.dumps({"op": "wait", "pid": pid, "timeout": timeout}).encode())
        status = self._reply().get("status")
        return None if status is None else ExitStatus.from_json(status)

    def kill(self) -> None:
        """End it now, warm or not (grading stopped before it was needed)."""
        with contextlib.suppress(OSError):
            self.control.close()
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        if self.process is None:
            return
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _reply(self) -> dict[str, Any]:
        data = self.control.recv(settings.MAX_CONTROL_MESSAGE_BYTES)
        if not data:
            raise RuntimeError("the grader's fork server stopped")
        return json.loads(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader.sandbox.zygote")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--protect", type=Path, action="append", default=[])
    parser.add_argument("--huge-pages", action="store_true")
    args = parser.parse_args(argv)
    control = socket.socket(fileno=args.control_fd)
    # Ctrl-C reaches the whole terminal group; the judge decides, and closes us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Before torch is first imported: importing it is what warns.
    silence_missing_numpy()
    from grader.sandbox import child

    child.warm_up()
    # Children share what the warm-up left; the collector never writes to it again, so a
    # child copies fewer of its pages.
    gc.collect()
    gc.freeze()
    if args.huge_pages:
        hugepages.collapse()
    plan = isolation.plan(protected=args.protect)
    isolation.become_subreaper()
    code = 0
    try:
        _serve(control, plan)
    except BaseException:
        code = settings.SANDBOX_FAILED_EXIT
    # Tearing down an interpreter that loaded torch._dynamo takes about a second.
    os._exit(code)


def _serve(control: socket.socket, plan: isolation.Plan) -> None:
    children: set[int] = set()
    zygotes: set[int] = set()
    # Woken now and then to end orphans: daemons that left a child's process group. Swept
    # at most that often while busy too.
    control.settimeout(_SWEEP_S)
    swept = time.monotonic()
    try:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(control, settings.MAX_CONTROL_MESSAGE_BYTES, 4)
            except TimeoutError:
                _sweep(children, zygotes)
                swept = time.monotonic()
                continue
            if not data:
                return
            request = json.loads(data)
            if request["op"] == "spawn":
                pid = _fork_child(control, request, fds, plan)
                children.add(pid)
                control.sendall(json.dumps({"pid": pid}).encode())
            elif request["op"] == "fork_zygote":
                pid = _fork_zygote(control, request, fds, plan)
                zygotes.add(pid)
                control.sendall(json.dumps({"pid": pid}).encode())
            elif request["op"] == "wait":
                status = wait_for(request["pid"], float(request["timeout"]))
                if status is not None:
                    children.discard(request["pid"])
                reply = {"status": None if status is None else status.to_json()}
                control.sendall(json.dumps(reply).encode())
            elif request["op"] == "isolation":
                control.sendall(json.dumps({"isolation": plan.to_json()}).encode())
            elif request["op"] == "reset":
                # Between two judges of a warm parent: nothing of the last one's is left.
                _end(children)
                _sweep(children, zygotes)
                swept = time.monotonic()
                control.sendall(json.dumps({"reset": request.get("token")}).encode())
            if time.monotonic() - swept >= _SWEEP_S:
                _sweep(children, zygotes)
                swept = time.monotonic()
    finally:
        _end(children)
        _sweep(set(), zygotes)


def _end(children: set[int]) -> None:
    """Kill and reap ``children``, each with its process group."""
    for pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
    children.clear()


#: Seconds between sweeps for orphans.
_SWEEP_S = 0.5


def _sweep(children: set[int], zygotes: set[int]) -> None:
    """Kill orphans reparented to this zygote; reap them and the sub-zygotes that ended.

    Tracked children are never reaped here: their status belongs to the judge's ``wait``.
    """
    orphans = []
    for pid in _children():
        if pid not in children and pid not in zygotes:
            orphans.append(pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    for pid in [*orphans, *zygotes]:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            zygotes.discard(pid)


def _children() -> list[int]:
    """This process's children: from its threads' ``children`` files, a read each, where Linux
    has them (CONFIG_PROC_CHILDREN); else by reading every process's stat (a few ms)."""
    try:
        listed: list[int] = []
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as found:
                listed += [int(pid) for pid in found.read().split()]
        return listed
    except (OSError, ValueError):
        listed = []  # not what a file read before the failure gave: the scan finds those too
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == me:
            listed.append(int(entry))
    return listed


def _fork_zygote(
    control: socket.socket, request: dict[str, Any], fds: list[int], plan: isolation.Plan
) -> int:
    """A private zygote for one judge (batch grading runs several judges at once)."""
    (own_control,) = fds
    pid = os.fork()
    if pid == 0:
        code = settings.SANDBOX_FAILED_EXIT
        try:
            control.close()
            if request.get("language") in i18n.LANGUAGES:
                os.environ[i18n.LANGUAGE_VARIABLE] = request["language"]
            isolation.become_subreaper()
            _serve(socket.socket(fileno=own_control), plan)
            code = 0
        finally:
            os._exit(code)
    os.close(own_control)
    return pid


def _fork_child(control: socket.socket, request: dict[str, Any], fds: list[int], plan: isolation.Plan) -> int:
    child_socket, capture_fd = fds
    with isolation.PidNamespaceForChild(plan) as namespace:
        pid = os.fork()
        if pid == 0:
            # Whatever happens below, this process ends here: never back into the zygote's loop.
            code = settings.SANDBOX_FAILED_EXIT
            try:
                namespace.check()
                _become_child(control, request, capture_fd, plan)
                code = settings.CHILD_CRASHED_EXIT
                from grader.sandbox import child

                child.serve(socket.socket(fileno=child_socket), Path(request["submission"]))
                code = 0
            except BaseException:
                # Shown to the judge as the child's output. Student code may have broken the
                # very tools that print it.
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            finally:
                os._exit(code)
    # Both sides set the group, so the judge can kill it whichever runs first.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    os.close(child_socket)
    os.close(capture_fd)
    return pid


def _become_child(
    control: socket.socket, request: dict[str, Any], capture_fd: int, plan: isolation.Plan
) -> None:
    """Trusted set-up of a forked child: its namespaces, stdio and confinement."""
    control.close()
    os.setpgid(0, 0)
    from grader.sandbox import child

    isolation.enter_namespaces(plan)
    child.prepare_process(capture_fd=capture_fd)
    child.confine(plan, submission=Path(request["submission"]), memory_bytes=request["memory_bytes"])


def wait_for(pid: int, timeout: float) -> ExitStatus | None:
    """Reap a child of this process within ``timeout`` seconds; None if it is still running."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            done, status, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return ExitStatus(code=None)
        if done:
            return ExitStatus.from_wait_status(status, usage.ru_utime + usage.ru_stime)
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


if __name__ == "__main__":
    main()
