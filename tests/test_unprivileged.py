"""Without root: what holds on a student's laptop or in a container without namespaces.

There the sandbox has no mount, network or pid namespace and no separate uid; it has the
resource limits, Landlock, the seccomp socket filter and the subreaper sweep, and the judge
still decides the score. The unit tests check the seccomp filter and the process limit in a
forked process; the scenario tests grade hostile submissions (``tests/scenarios/hostile_*``)
end to end as an unprivileged user.

That user is a uid no account and no process uses, so nothing else counts against its process
limit and nothing it signals is anyone else's. It runs a copy of the grader and the course
that it owns, as a student's checkout is the student's own: file permissions protect nothing
there, only the sandbox does. Dropping to it needs root; elsewhere those tests are skipped
(``tests/test_scenarios.py`` grades every scenario as the current user).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import grp
import hashlib
import json
import mmap
import os
import platform
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.sandbox import isolation, seccomp
from tests.conftest import ROOT, survivors

SCENARIOS = Path(__file__).parent / "scenarios"
ROOT_LAYERS = (
    isolation.MOUNT_NAMESPACE,
    isolation.SEPARATE_UID,
    isolation.NETWORK_NAMESPACE,
    isolation.PID_NAMESPACE,
)
COURSE_FOLDERS = ("grader", "assignments", "reference", "student_template")

NOT_ROOT = (
    "drops to a uid of its own, which needs root on Linux; as any other user, "
    "tests/test_scenarios.py grades every scenario without root"
)
needs_seccomp = pytest.mark.skipif(not seccomp.available(), reason="no seccomp filter on this machine")
needs_root = pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason=NOT_ROOT)


@dataclass(frozen=True, kw_only=True)
class Containment:
    """What contains a scenario's attack without root, where the scenario needs more than the
    resource limits, the subreaper sweep and the judge."""

    landlock_abi: int = 0
    seccomp: bool = False

    def lacking(self) -> str | None:
        """Why this machine cannot contain the attack without root; None when it can."""
        abi = isolation.landlock_abi()
        if self.landlock_abi and abi < self.landlock_abi:
            return f"contained without root only by Landlock ABI {self.landlock_abi}+ (this kernel: {abi})"
        if self.seccomp and not seccomp.available():
            return "contained without root only by the seccomp socket filter"
        return None


#: The scenarios graded without root, by attack family, with what contains each.
UNPRIVILEGED_SCENARIOS: dict[str, Containment] = {
    # time
    "hostile_loop_in_forward": Containment(),
    # memory: the same RLIMIT_DATA as with root, so the scenario test's run is enough (filling
    # 3 GiB takes half a minute here, and the suite must stay well under 15 minutes)
    # processes: the fork burst meets RLIMIT_NPROC, the daemon the subreaper sweep, signals
    # to the grader's processes Landlock's scope (ABI 6+)
    "hostile_fork_burst": Containment(),
    "hostile_daemon": Containment(),
    "hostile_signals": Containment(landlock_abi=6),
    # lying
    "hostile_patch_torch": Containment(),
    # the grader's machinery
    "hostile_tamper": Containment(landlock_abi=1),
    "hostile_read_reference": Containment(landlock_abi=1),
    "hostile_fake_report": Containment(landlock_abi=1),
    # network: every scenario with a listener is checked for TCP and UDP
    "hostile_network": Containment(seccomp=True),
    "hostile_udp": Containment(seccomp=True),
}

#: Where the outcome without root differs from expected.json, and why.
WITHOUT_ROOT_EXPECT = {
    # Without a pid namespace the child is not its namespace's first process, which is immune
    # to its own SIGKILL: its kill of its own process group ends it at import, and the exercise
    # earns nothing. Everything else it signals (the zygote, the judge) is out of its reach.
    "hostile_signals": {"vgg_block": {"score": 0, "feedback": {"output_shape": ["SIGKILL"]}}},
}


def _run_forked(body: Callable[[], dict]) -> dict:
    """``body`` in a forked process; what it returns comes back as JSON."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(reader)
            result = body()
            os.write(writer, json.dumps(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"the forked process failed: {status}"
    return json.loads(data)


def _confine(*layers: str, processes: int = 0) -> None:
    plan = isolation.Plan(
        layers=layers,
        landlock_abi=isolation.landlock_abi(),
        limits={"processes": processes} if processes else {},
    )
    isolation.confine(plan, submission=Path(tempfile.gettempdir()), memory_bytes=0, held_bytes=0)


def _errno_of(action: Callable[[], object]) -> int:
    """0 when ``action`` succeeds (whatever it made is closed), else its errno."""
    try:
        made = action()
    except OSError as error:
        return error.errno or -1
    for thing in made if isinstance(made, tuple) else (made,):
        thing.close()
    return 0


def _i386_getpid() -> str:
    """getpid through the i386 ABI (``int 0x80``) of an x86_64 kernel, from 64-bit code, in a
    process of its own: ``denied`` (EPERM), ``allowed``, or ``unavailable`` (a kernel without
    that ABI, where ``int 0x80`` is a fault, or no executable memory)."""
    code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])  # mov eax, 20 (getpid); int 0x80; ret
    pid = os.fork()
    if pid == 0:
        outcome = 3
        try:
            page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
            page.write(code)
            call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
            outcome = {-errno.EPERM: 0, os.getpid(): 1}.get(call(), 2)
        finally:
            os._exit(outcome)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) == 3:
        return "unavailable"
    return {0: "denied", 1: "allowed"}.get(os.WEXITSTATUS(status), "unexpected result")


@needs_seccomp
def test_the_seccomp_filter_leaves_only_unix_sockets() -> None:
    def probe() -> dict:
        judge, child = socket.socketpair()  # held before, as the child holds the judge's
        _confine(isolation.SECCOMP)
        results = {
            f"{family.name}/{kind.name}": _errno_of(lambda f=family, k=kind: socket.socket(f, k))
            for family, kind in (
                (socket.AF_INET, socket.SOCK_DGRAM),
                (socket.AF_INET, socket.SOCK_STREAM),
                (socket.AF_INET6, socket.SOCK_DGRAM),
                (socket.AF_INET, socket.SOCK_RAW),
                (socket.AF_NETLINK, socket.SOCK_RAW),
                (socket.AF_PACKET, socket.SOCK_RAW),
                (socket.AF_UNIX, socket.SOCK_STREAM),
                (socket.AF_UNIX, socket.SOCK_DGRAM),
            )
        }
        results["socketpair AF_UNIX"] = _errno_of(socket.socketpair)
        results["socketpair AF_INET"] = _errno_of(lambda: socket.socketpair(socket.AF_INET))
        child.sendall(b"still talking")
        results["held socket"] = judge.recv(64).decode()
        if platform.machine() == "x86_64":
            libc = ctypes.CDLL(None, use_errno=True)
            x32_socket = 0x40000000 + 41
            failed = libc.syscall(x32_socket, socket.AF_INET, socket.SOCK_DGRAM, 0) == -1
            results["x32 socket"] = ctypes.get_errno() if failed else 0
            results["i386 getpid"] = _i386_getpid()
        return results

    results = _run_forked(probe)
    denied = ("AF_INET/SOCK_DGRAM", "AF_INET/SOCK_STREAM", "AF_INET6/SOCK_DGRAM", "AF_INET/SOCK_RAW")
    for name in (*denied, "AF_NETLINK/SOCK_RAW", "AF_PACKET/SOCK_RAW", "socketpair AF_INET"):
        assert results[name] == errno.EPERM, (
            f"{name}: {os.strerror(results[name]) if results[name] else 'allowed'}"
        )
    for name in ("AF_UNIX/SOCK_STREAM", "AF_UNIX/SOCK_DGRAM", "socketpair AF_UNIX"):
        assert results[name] == 0, f"{name}: {os.strerror(results[name])}"
    assert results["held socket"] == "still talking"
    if platform.machine() == "x86_64":
        assert results["x32 socket"] == errno.EPERM, "the x32 ABI walks around the filter"
        assert results["i386 getpid"] in ("denied", "unavailable"), "the i386 ABI walks around the filter"


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    yield listener
    listener.close()


@needs_seccomp
@pytest.mark.skipif(not isolation.landlock_abi(), reason="no Landlock on this machine")
@pytest.mark.parametrize(
    ("layers", "arrives"),
    [((isolation.LANDLOCK,), True), ((isolation.LANDLOCK, isolation.SECCOMP), False)],
    ids=["landlock", "landlock+seccomp"],
)
def test_udp_passes_landlock_and_stops_at_the_seccomp_filter(udp_listener, layers, arrives) -> None:
    address = udp_listener.getsockname()

    def send() -> dict:
        _confine(*layers)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
                datagram.sendto(b"leaked", address)
        except OSError as error:
            return {"errno": error.errno}
        return {"errno": 0}

    result = _run_forked(send)
    try:
        received = udp_listener.recv(64)
    except TimeoutError:
        received = None
    assert (received == b"leaked") is arrives
    assert result["errno"] == (0 if arrives else errno.EPERM)


def _free_uid() -> int:
    """A uid and gid that no account, group or process uses; where the search starts depends
    on this process, so two test sessions at once are unlikely to share one."""
    in_use = set()
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            in_use.add(os.stat(f"/proc/{entry}").st_uid)
    start = os.getpid() % 1000
    for offset in range(1000):
        uid = 61000 + (start + offset) % 1000
        with contextlib.suppress(KeyError):
            pwd.getpwuid(uid)
            continue
        with contextlib.suppress(KeyError):
            grp.getgrgid(uid)
            continue
        if uid not in in_use:
            return uid
    pytest.skip("no free uid between 61000 and 62000")


def _processes_of(uid: int) -> list[int]:
    """Processes whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{entry}/status") as status:
            for line in status:
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found.append(int(entry))
                    break
    return found


def _end_processes_of(uid: int) -> None:
    """Kill what is left of this test's own uid (it is used by nothing else)."""
    for pid in _processes_of(uid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@needs_root
def test_the_process_limit_counts_what_the_uid_already_runs() -> None:
    uid = _free_uid()

    def fork_burst() -> dict:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        already = os.fork()  # another process of this uid, running before the child is confined
        if already == 0:
            time.sleep(60)
            os._exit(0)
        _confine(isolation.RESOURCE_LIMITS, processes=4)
        started = []
        try:
            for _ in range(20):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                started.append(pid)
        except BlockingIOError:  # EAGAIN: RLIMIT_NPROC
            pass
        for pid in [already, *started]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return {"started": len(started), "limit": resource.getrlimit(resource.RLIMIT_NPROC)[0]}

    try:
        result = _run_forked(fork_burst)
    finally:
        _end_processes_of(uid)
    assert result == {"started": 4, "limit": 2 + 4}, "two processes ran: the child and the one before it"


@dataclass(frozen=True, kw_only=True)
class UnprivilegedGrader:
    """A grader and course owned by ``uid``, run by a Python that uid can run."""

    uid: int
    base: Path
    python: Path
    checkout: Path

    @property
    def env(self) -> dict[str, str]:
        home = self.base / "home"
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "USER": "grader-test",
            "LOGNAME": "grader-test",
            "LANG": "C.UTF-8",
        }

    def run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``python *command`` as the unprivileged uid (its capabilities are gone before exec)."""
        try:
            return subprocess.run(
                [str(self.python), *command],
                user=self.uid,
                group=self.uid,
                extra_groups=[],
                env=self.env,
                cwd=self.base,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            _end_processes_of(self.uid)
            raise

    def own(self, path: Path) -> Path:
        """Give ``path`` and everything under it to the unprivileged uid."""
        for folder, _, files in os.walk(path):
            os.chown(folder, self.uid, self.uid)
            for name in files:
                os.chown(os.path.join(folder, name), self.uid, self.uid, follow_symlinks=False)
        return path


def _survived(uid: int, seconds: float = 3.0) -> bool:
    """Whether a process of ``uid`` is still running ``seconds`` from now; they are killed."""
    deadline = time.monotonic() + seconds
    while _processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = bool(_processes_of(uid))
    _end_processes_of(uid)
    return left


def _pythons() -> list[Path]:
    """Interpreters of this Python's version that might be reachable by another user: this
    one's own, then the system's (a private home, such as pyenv's under /root, is not)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys._base_executable).resolve()]
    candidates += [Path(folder) / version for folder in ("/usr/local/bin", "/usr/bin")]
    return [p for i, p in enumerate(candidates) if p.is_file() and p not in candidates[:i]]


@pytest.fixture(scope="module")
def unprivileged() -> Iterator[UnprivilegedGrader]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip(NOT_ROOT)
    uid = _free_uid()
    base = Path(tempfile.mkdtemp(prefix="grader-unprivileged-"))
    base.chmod(0o755)
    try:
        checkout = base / "checkout"
        for folder in COURSE_FOLDERS:
            shutil.copytree(ROOT / folder, checkout / folder, ignore=shutil.ignore_patterns("__pycache__"))
        (base / "home").mkdir()
        # Packages come from this environment; the grader from the copy, found first.
        site_packages = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
        tried = []
        for python in _pythons():
            venv = base / f"venv-{len(tried)}"
            subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            (venv / "lib" / version / "site-packages" / "course.pth").write_text(
                "\n".join([str(checkout), *site_packages]) + "\n"
            )
            grader = UnprivilegedGrader(uid=uid, base=base, python=venv / "bin" / "python", checkout=checkout)
            grader.own(base)
            try:
                found = grader.run("-I", "-c", "import grader, torch, pytest, click; print(grader.__file__)")
            except OSError as error:  # the interpreter itself is out of the uid's reach
                tried.append(f"{python}: {error}")
                continue
            if found.returncode == 0 and found.stdout.strip() == str(checkout / "grader" / "__init__.py"):
                yield grader
                return
            tried.append(f"{python}: {(found.stderr or found.stdout).strip().splitlines()[-1:]}")
        pytest.skip(f"no Python that uid {uid} can run with this environment's packages: {tried}")
    finally:
        _end_processes_of(uid)
        shutil.rmtree(base, ignore_errors=True)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@contextlib.contextmanager
def _listeners(port_file: Path) -> Iterator[None]:
    """A TCP and a UDP listener on one loopback port, written to ``port_file``; nothing may
    reach either."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    try:
        tcp = socket.create_server(("127.0.0.1", port))
    except OSError:
        udp.close()
        pytest.skip(f"port {port} is free for UDP but not for TCP")
    port_file.write_text(str(port))
    try:
        yield
        tcp.settimeout(0.2)
        udp.settimeout(0.2)
        with pytest.raises(TimeoutError):
            tcp.accept()
        with pytest.raises(TimeoutError):
            udp.recv(64)
    finally:
        tcp.close()
        udp.close()


def _check_outcome(report: dict, expected: dict[str, dict]) -> None:
    results = {a["id"]: a for a in report["assignments"]}
    for exercise_id, wanted in expected.items():
        checks = {c["id"]: c for c in results[exercise_id]["checks"]}
        not_passed = {c: (v["status"], v["message"]) for c, v in checks.items() if v["status"] != "passed"}
        assert results[exercise_id]["score"] == wanted["score"], f"{exercise_id}: {not_passed}"
        if "failed" in wanted:
            assert sorted(not_passed) == sorted(wanted["failed"]), not_passed
        for check_id, words in wanted.get("feedback", {}).items():
            text = " ".join([checks[check_id]["message"], *checks[check_id]["hints"]])
            for word in words:
                assert word in text, f"{exercise_id}/{check_id}: {word!r} not in {text!r}"


@needs_root
@pytest.mark.parametrize("name", sorted(UNPRIVILEGED_SCENARIOS))
def test_scenario_without_root(name: str, unprivileged: UnprivilegedGrader, validate_report) -> None:
    lacking = UNPRIVILEGED_SCENARIOS[name].lacking()
    if lacking:
        pytest.skip(lacking)
    scenario = SCENARIOS / name
    expected = json.loads((scenario / "expected.json").read_text())
    submission = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=unprivileged.base))
    shutil.copytree(scenario / expected.get("submission", "submission"), submission, dirs_exist_ok=True)
    report_path = unprivileged.base / "home" / f"{name}.json"
    before = _digests(unprivileged.checkout)
    command = ["-m", "grader", "submit", str(submission), "--json", str(report_path), "--hidden", "-q"]
    command += ["--timeout", str(expected.get("timeout_s", 10.0))]
    for exercise_id in expected.get("assignments", ()):
        command += ["-a", exercise_id]
    listening = _listeners(submission / "port.txt") if expected.get("listen") else contextlib.nullcontext()
    with listening:
        unprivileged.own(submission)
        graded = unprivileged.run(*command, timeout=300)
        assert graded.returncode == 0, graded.stderr[-3000:]
    assert not _survived(unprivileged.uid), "a process of the unprivileged uid outlived grading"
    report = validate_report(json.loads(report_path.read_text()))

    assert report["error"] is None, report["error"]
    isolation_layers = report["environment"]["isolation"]
    assert set(ROOT_LAYERS) <= set(isolation_layers["missing"])
    if isolation.landlock_abi():
        assert isolation.LANDLOCK in isolation_layers["active"]
    if seccomp.available():
        assert isolation.SECCOMP in isolation_layers["active"]
    _check_outcome(report, {**expected["expect"], **WITHOUT_ROOT_EXPECT.get(name, {})})
    if "max_duration_s" in expected:
        assert report["duration_s"] < expected["max_duration_s"]
    if "no_survivors" in expected:
        assert survivors(expected["no_survivors"]) == [], "a process the submission started survived"
    for written in expected.get("absent_files", []):
        path = Path(written.replace("{ROOT}", str(unprivileged.checkout)))
        assert not path.exists(), f"the submission wrote {path}"
    assert _digests(unprivileged.checkout) == before, "the grader's files changed"


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("capsh") is None, reason="needs root and capsh to drop a capability"
)
def test_root_without_cap_sys_admin_grades_without_namespaces(tmp_path: Path) -> None:
    """A container's root (Gradescope, Docker's default) may not make namespaces: the plan
    leaves them out instead of failing every child, and grading works."""
    report = tmp_path / "report.json"
    command = f"{sys.executable} -m grader submit {ROOT / 'reference'} -H blocks -a vgg_block --json {report}"
    done = subprocess.run(
        ["capsh", "--drop=cap_sys_admin", "--", "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    graded = json.loads(report.read_text())
    assert graded["score"] == graded["max_score"] > 0
    missing = graded["environment"]["isolation"]["missing"]
    assert {isolation.MOUNT_NAMESPACE, isolation.NETWORK_NAMESPACE, isolation.PID_NAMESPACE} <= set(missing)
    assert isolation.SECCOMP in graded["environment"]["isolation"]["active"]
