"""The layers that contain a child, each applied where the machine allows it.

Applied in the forked child before any student code runs, by trusted code:

- ``resource limits``: CPU time, private memory, file size, open files, processes, no core
  dumps.
- ``landlock`` (Linux 5.13+, no root needed): reads only from Python's own folders, the
  system's and the submission's; no writes anywhere; no TCP (ABI 4+); no signals to
  processes outside the sandbox (ABI 6+).
- ``mount namespace`` (root): the reference, the checks and the stored facts are covered by
  empty read-only folders; a private home that holds Python (such as /root) is covered too,
  with only Python's folder bound back, so that another user can import it.
- ``separate uid`` (root): the child runs as an unprivileged user with no groups.
- ``network namespace`` / ``pid namespace`` (root): no network at all, not even loopback;
  when the child's first process ends, every process it started ends with it.
- ``seccomp socket filter`` (Linux x86_64 and aarch64, no root needed): ``socket()`` fails for
  every family but AF_UNIX, so no UDP, raw sockets or netlink (see ``seccomp.py``).

A layer the machine lacks is reported as missing; a layer that was available but fails to
apply stops the child before student code runs (it fails closed).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader import settings
from grader.sandbox import seccomp

PROCESS_GROUP = "process group"
RESOURCE_LIMITS = "resource limits"
LANDLOCK = "landlock"
MOUNT_NAMESPACE = "mount namespace"
SEPARATE_UID = "separate uid"
NETWORK_NAMESPACE = "network namespace"
PID_NAMESPACE = "pid namespace"
SECCOMP = "seccomp socket filter"
ALL_LAYERS = (
    PROCESS_GROUP,
    RESOURCE_LIMITS,
    LANDLOCK,
    MOUNT_NAMESPACE,
    SEPARATE_UID,
    NETWORK_NAMESPACE,
    PID_NAMESPACE,
    SECCOMP,
)

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
_CLONE_NEWPID = 0x20000000
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_SYSTEM_READ_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/etc", "/proc", "/sys", "/dev", "/opt")


class IsolationError(Exception):
    """A layer that should apply did not: the child must not run student code."""


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Which layers to apply; decided once by the zygote, before any student code."""

    layers: tuple[str, ...]
    landlock_abi: int = 0
    read_paths: tuple[str, ...] = ()
    uid: int = settings.SANDBOX_UID
    gid: int = settings.SANDBOX_GID
    limits: dict[str, int] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    exposed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(layer for layer in ALL_LAYERS if layer not in self.layers)

    def to_json(self) -> dict[str, object]:
        return {"active": list(self.layers), "missing": list(self.missing)}


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def plan(*, protected: list[Path]) -> Plan:
    """The layers this machine offers; ``protected`` folders are never made readable.

    GRADER_ISOLATION=minimal keeps only the process group and the resource limits: for
    measuring what the other layers cost, never for grading.
    """
    layers = [PROCESS_GROUP, RESOURCE_LIMITS]
    if os.environ.get("GRADER_ISOLATION") == "minimal":
        return Plan(layers=tuple(layers), limits=dict(settings.CHILD_LIMITS))
    linux = sys.platform.startswith("linux")
    abi = landlock_abi()
    if abi:
        layers.append(LANDLOCK)
    if seccomp.available():
        layers.append(SECCOMP)
    read_paths = _read_paths(protected)
    exposed: dict[str, set[str]] | None = {}
    # Root is not enough: a container's root (Gradescope, Docker's default) lacks CAP_SYS_ADMIN,
    # and a planned layer that cannot apply would stop every child before student code.
    if linux and os.geteuid() == 0 and _namespaces_work():
        layers += [MOUNT_NAMESPACE, NETWORK_NAMESPACE, PID_NAMESPACE]
        python = [Path(p) for p in read_paths if not p.startswith(_SYSTEM_READ_PATHS)]
        exposed = _exposures(python, settings.SANDBOX_UID, settings.SANDBOX_GID)
        if exposed is not None:
            layers.append(SEPARATE_UID)
    return Plan(
        layers=tuple(sorted(layers, key=ALL_LAYERS.index)),
        landlock_abi=abi,
        read_paths=tuple(read_paths),
        limits=dict(settings.CHILD_LIMITS),
        hidden=tuple(str(p.resolve()) for p in protected),
        exposed=tuple((folder, tuple(sorted(names))) for folder, names in (exposed or {}).items()),
    )


def _namespaces_work() -> bool:
    """Whether this process may make new mount, network and pid namespaces: tried in a fork.

    The fork only calls libc and exits, so it is safe even from a process with threads.
    """
    try:
        unshare = _libc().unshare
        mount = _libc().mount
    except (OSError, AttributeError):
        return False
    pid = os.fork()
    if pid == 0:
        works = unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID) == 0 and (
            mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) == 0
        )
        os._exit(0 if works else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _exposures(paths: list[Path], uid: int, gid: int) -> dict[str, set[str]] | None:
    """Private folders to cover, with the entries to bind back, so ``uid`` reaches ``paths``.

    None when some path stays out of reach (then the child keeps the caller's uid).
    """
    exposed: dict[str, set[str]] = {}
    for path in paths:
        chain = [*reversed(path.parents), path]
        for index, folder in enumerate(chain[:-1]):
            if not _permits(uid, gid, folder, 1):
                if folder == Path("/"):
                    return None
                exposed.setdefault(str(folder), set()).add(chain[index + 1].name)
                break
        else:
            if not _permits(uid, gid, path, 5):
                return None
            continue
        below = chain[index + 1 :]
        if not all(_permits(uid, gid, f, 1) for f in below) or not _permits(uid, gid, path, 5):
            return None
    return exposed


def _permits(uid: int, gid: int, path: Path, needed: int) -> bool:
    """Whether ``uid`` has the ``needed`` permission bits (4 read, 1 search) on ``path``."""
    try:
        info = path.stat()
    except OSError:
        return False
    if info.st_uid == uid:
        bits = (info.st_mode >> 6) & 7
    elif info.st_gid == gid:
        bits = (info.st_mode >> 3) & 7
    else:
        bits = info.st_mode & 7
    return bits & needed == needed


def _read_paths(protected: list[Path]) -> list[str]:
    """Python's folders and the system's, less any that would expose a protected folder."""
    grader_package = Path(__file__).resolve().parent.parent
    candidates = [Path(p) for p in sys.path if p] + [Path(sys.prefix), Path(sys.base_prefix)]
    candidates += [Path(p) for p in _SYSTEM_READ_PATHS]
    resolved_protected = [p.resolve() for p in protected]
    allowed: list[str] = [str(grader_package)]
    for candidate in candidates:
        try:
            path = candidate.resolve()
        except OSError:
            continue
        # A checkout on sys.path holds the reference: it is left out (its grader/ is in).
        if not path.exists() or any(_contains(path, p) for p in resolved_protected):
            continue
        if str(path) not in allowed:
            allowed.append(str(path))
    return allowed


def _contains(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def become_subreaper() -> bool:
    """Orphans of the zygote's children become its own, so it can end them (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    return _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


class PidNamespaceForChild:
    """Around one fork of a zygote: the child is the first process of a pid namespace of its
    own, made by this process (``unshare`` here, ``setns`` back after), so the child needs no
    second fork to be its namespace's first process. That fork of a process holding torch
    cost as much as the first; the kernel copies and then tears down its page tables.

    A failure is not raised here, in the zygote: the child raises it (``check``) before
    student code, so only that child fails.
    """

    def __init__(self, plan: Plan) -> None:
        self.wanted = PID_NAMESPACE in plan.layers
        self.error = ""
        self._own = -1

    def __enter__(self) -> PidNamespaceForChild:
        if not self.wanted:
            return self
        libc = _libc()
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        if libc.unshare(_CLONE_NEWPID) != 0:
            self.error = f"unshare(CLONE_NEWPID) failed: {os.strerror(ctypes.get_errno())}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own < 0:
            return
        try:
            # This process's later children (another child, a private zygote) are made in
            # its own namespace again.
            if _libc().setns(self._own, _CLONE_NEWPID) != 0:
                raise IsolationError(
                    f"setns back to the pid namespace failed: {os.strerror(ctypes.get_errno())}"
                )
        finally:
            os.close(self._own)
            self._own = -1

    def check(self) -> None:
        """In the child: close what it inherited, and fail unless it is its namespace's first
        process."""
        if self._own >= 0:
            os.close(self._own)
            self._own = -1
        if not self.wanted:
            return
        if self.error:
            raise IsolationError(self.error)
        if os.getpid() != 1:
            raise IsolationError("the child is not the first process of its pid namespace")


def die_with_parent() -> None:
    """The parent's death kills this process (Linux; cleared by setuid, so set after it)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def enter_namespaces(plan: Plan) -> None:
    """New mount and network namespaces, in the child (its pid namespace is made by the
    zygote: PidNamespaceForChild)."""
    flags = 0
    if MOUNT_NAMESPACE in plan.layers:
        flags |= _CLONE_NEWNS
    if NETWORK_NAMESPACE in plan.layers:
        flags |= _CLONE_NEWNET
    if flags and _libc().unshare(flags) != 0:
        raise IsolationError(f"unshare failed: {os.strerror(ctypes.get_errno())}")


def confine(plan: Plan, *, submission: Path, memory_bytes: int, held_bytes: int) -> None:
    """Apply the remaining layers to this process; student code runs next."""
    if MOUNT_NAMESPACE in plan.layers:
        _mount(plan, submission)
    if SEPARATE_UID in plan.layers:
        os.setgroups([])
        os.setgid(plan.gid)
        os.setuid(plan.uid)
        if os.getuid() != plan.uid or os.geteuid() != plan.uid:
            raise IsolationError("could not change uid")
    die_with_parent()
    _set_limits(plan, memory_bytes=memory_bytes, held_bytes=held_bytes)
    if LANDLOCK in plan.layers:
        _landlock(plan, submission)
    if SECCOMP in plan.layers:
        # Last: the filter needs no_new_privs (set here, or already by Landlock), and nothing
        # the trusted set-up does after this point opens a socket.
        try:
            seccomp.install()
        except OSError as error:
            raise IsolationError(f"seccomp socket filter: {error}") from error


def _mount(plan: Plan, submission: Path) -> None:
    libc = _libc()

    def mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None) -> None:
        encoded = [None if v is None else v.encode() for v in (source, target, kind, data)]
        if libc.mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]) != 0:
            raise IsolationError(f"mount on {target}: {os.strerror(ctypes.get_errno())}")

    # Nothing mounted here may leak back into the machine's own mount table.
    mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
    exposed = {folder: set(names) for folder, names in plan.exposed}
    if SEPARATE_UID in plan.layers:
        reach = _exposures([submission.resolve()], plan.uid, plan.gid)
        if reach is None:
            raise IsolationError(f"{submission} cannot be made readable to uid {plan.uid}")
        for folder, names in reach.items():
            exposed.setdefault(folder, set()).update(names)
    for folder, names in sorted(exposed.items()):
        original = os.open(folder, os.O_PATH | os.O_DIRECTORY)
        try:
            mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=64k")
            for name in names:
                target = os.path.join(folder, name)
                os.mkdir(target, 0o755)
                mount(f"/proc/self/fd/{original}/{name}", target, None, _MS_BIND | _MS_REC, None)
        finally:
            os.close(original)
    mine = submission.resolve()
    for folder in plan.hidden:
        path = Path(folder)
        if path.is_dir() and not _contains(path, mine):
            mount("tmpfs", folder, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "mode=0555,size=4k")


def _set_limits(plan: Plan, *, memory_bytes: int, held_bytes: int) -> None:
    limits = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_CPU: plan.limits.get("cpu_s", 0),
        resource.RLIMIT_FSIZE: plan.limits.get("file_bytes", 0),
        resource.RLIMIT_NOFILE: plan.limits.get("open_files", 0),
    }
    # RLIMIT_DATA (private writable memory: the heap and tensor allocations), not RLIMIT_AS:
    # CUDA reserves far more address space than it uses and fails under an AS limit.
    if held_bytes:  # unknown without /proc: better no limit than one below what is held
        limits[resource.RLIMIT_DATA] = held_bytes + memory_bytes
    processes = plan.limits.get("processes", 0)
    if processes and SEPARATE_UID in plan.layers:
        limits[resource.RLIMIT_NPROC] = processes
    elif processes and (running := _tasks_of_real_uid()) is not None:
        # RLIMIT_NPROC counts every process and thread of the real uid, the grader's and the
        # user's own included, so without a uid of its own the child gets what is running now
        # plus its share. This races, and cannot be exact: whatever else runs as this uid and
        # starts or ends later (the user's programs, other children of a batch) shrinks or
        # grows the child's headroom, and a burst in one child counts against children of the
        # same uid confined earlier. It bounds a fork burst; a separate uid bounds it exactly.
        # (Root is exempt from RLIMIT_NPROC, whatever it is set to.)
        limits[resource.RLIMIT_NPROC] = running + processes
    for kind, value in limits.items():
        if not value and kind != resource.RLIMIT_CORE:
            continue
        _soft, hard = resource.getrlimit(kind)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (new, new))
    # Past the file-size limit a write fails (EFBIG) instead of killing the child.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _tasks_of_real_uid() -> int | None:
    """Threads (what RLIMIT_NPROC counts) of every process whose real uid is this one's;
    None without /proc."""
    uid = os.getuid()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    count = 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                for line in status:
                    if line.startswith("Uid:") and int(line.split()[1]) != uid:
                        break  # Uid: comes before Threads:
                    if line.startswith("Threads:"):
                        count += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile, or unreadable
    return count


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute … make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer
    if abi >= 3:
        rights |= 1 << 14  # truncate
    if abi >= 5:
        rights |= 1 << 15  # ioctl_dev
    return rights


def _landlock(plan: Plan, submission: Path) -> None:
    libc = _libc()
    abi = plan.landlock_abi
    attr = _RulesetAttr(handled_access_fs=_handled_fs(abi))
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise IsolationError(f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for path in (*plan.read_paths, str(submission)):
            _allow(libc, ruleset, path, _FS_READ_FILE | _FS_READ_DIR | _FS_EXECUTE)
        _allow(libc, ruleset, os.devnull, _FS_READ_FILE | _FS_WRITE_FILE)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise IsolationError("prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            raise IsolationError(f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= _FS_READ_FILE | _FS_WRITE_FILE | _FS_EXECUTE
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0):
            raise IsolationError(f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)
