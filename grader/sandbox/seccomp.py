"""A seccomp filter that leaves a child Unix-domain sockets only: no UDP, no raw sockets, no netlink.

Landlock (ABI 4+) stops TCP binds and connects, and nothing else of the network; without root
there is no network namespace to stop the rest. This filter makes ``socket()`` and
``socketpair()`` fail with EPERM for every address family but AF_UNIX (the child answers the
judge over a Unix socket it already holds, and CUDA's libraries may open Unix sockets), and
``io_uring_setup()`` too, since io_uring can create sockets without calling ``socket()``.

Installing a filter needs no root, only ``PR_SET_NO_NEW_PRIVS`` (which Landlock sets as well).
The filter is classic BPF over ``struct seccomp_data`` and knows the system call numbers of two
64-bit, little-endian ABIs: x86_64 and aarch64. Every system call made through another ABI of
the same kernel (i386 through ``int 0x80``, x32 on x86_64, 32-bit ARM on aarch64) fails with
EPERM: its numbers differ, so a filter that only knew the native ones could be walked around.
On any other machine the layer is reported missing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import socket
import sys
from dataclasses import dataclass

_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_GET_ACTION_AVAIL = 2
# Every thread of the process gets the filter, not only the calling one.
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_DENY = _SECCOMP_RET_ERRNO | errno.EPERM

# Classic BPF opcodes (linux/filter.h): load a 32-bit word at an absolute offset, compare, return.
_BPF_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x05 | 0x30 | 0x00  # BPF_JMP | BPF_JGE | BPF_K
_BPF_RET_K = 0x06 | 0x00  # BPF_RET | BPF_K

# Offsets in struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
# On a little-endian machine the low 32 bits of args[0] come first; the kernel reads a socket's
# family as an int, so those 32 bits are all it sees.
_NR_OFFSET = 0
_ARCH_OFFSET = 4
_ARG0_OFFSET = 16


@dataclass(frozen=True, kw_only=True)
class _Abi:
    """What the filter must know of one machine's native system call ABI."""

    audit_arch: int
    socket: int
    socketpair: int
    io_uring_setup: int
    seccomp: int
    #: System call numbers at or above this belong to another ABI sharing the audit arch (x32).
    foreign_from: int | None = None


_ABIS = {
    "x86_64": _Abi(
        audit_arch=0xC000003E,
        socket=41,
        socketpair=53,
        io_uring_setup=425,
        seccomp=317,
        foreign_from=0x40000000,  # __X32_SYSCALL_BIT
    ),
    "aarch64": _Abi(audit_arch=0xC00000B7, socket=198, socketpair=199, io_uring_setup=425, seccomp=277),
}


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


def _native_abi() -> _Abi | None:
    """This process's ABI, when the filter knows it: a 64-bit, little-endian Python on Linux."""
    if not sys.platform.startswith("linux") or sys.maxsize <= 2**32 or sys.byteorder != "little":
        return None
    return _ABIS.get(platform.machine())


def available() -> bool:
    """Whether this machine can install the filter: a known ABI, and a kernel that can return
    an errno from a filter (seccomp's ``SECCOMP_GET_ACTION_AVAIL``, Linux 4.14+)."""
    abi = _native_abi()
    if abi is None:
        return False
    action = ctypes.c_uint32(_SECCOMP_RET_ERRNO)
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(abi.seccomp, _SECCOMP_GET_ACTION_AVAIL, 0, ctypes.byref(action)) == 0


def _program(abi: _Abi) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions, with jumps resolved to offsets."""
    # Each instruction: (code, label jumped to when true, label when false, k); None = the next.
    source: list[tuple[int, str | None, str | None, int] | str] = [
        (_BPF_LD_W_ABS, None, None, _ARCH_OFFSET),
        (_BPF_JEQ_K, None, "deny", abi.audit_arch),
        (_BPF_LD_W_ABS, None, None, _NR_OFFSET),
    ]
    if abi.foreign_from is not None:
        source.append((_BPF_JGE_K, "deny", None, abi.foreign_from))
    source += [
        (_BPF_JEQ_K, "family", None, abi.socket),
        (_BPF_JEQ_K, "family", None, abi.socketpair),
        (_BPF_JEQ_K, "deny", None, abi.io_uring_setup),
        (_BPF_RET_K, None, None, _SECCOMP_RET_ALLOW),
        "family",
        (_BPF_LD_W_ABS, None, None, _ARG0_OFFSET),
        (_BPF_JEQ_K, None, "deny", socket.AF_UNIX),
        (_BPF_RET_K, None, None, _SECCOMP_RET_ALLOW),
        "deny",
        (_BPF_RET_K, None, None, _DENY),
    ]
    labels: dict[str, int] = {}
    instructions: list[tuple[int, str | None, str | None, int]] = []
    for item in source:
        if isinstance(item, str):
            labels[item] = len(instructions)
        else:
            instructions.append(item)

    def offset(label: str | None, index: int) -> int:
        return 0 if label is None else labels[label] - index - 1

    return [(code, offset(jt, i), offset(jf, i), k) for i, (code, jt, jf, k) in enumerate(instructions)]


def install() -> None:
    """Install the filter on every thread of this process and everything it starts.

    Raises OSError when it cannot be installed or does not hold; the caller fails closed.
    """
    abi = _native_abi()
    if abi is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()} ({sys.platform})")
    program = _program(abi)
    filters = (_SockFilter * len(program))(*(_SockFilter(*instruction) for instruction in program))
    fprog = _SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    # With TSYNC the result is 0, -1 with errno, or the id of a thread that could not be synced.
    result = libc.syscall(
        abi.seccomp, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog)
    )
    if result != 0:
        code = ctypes.get_errno() if result < 0 else errno.EBUSY
        raise OSError(code, f"seccomp(SECCOMP_SET_MODE_FILTER): {os.strerror(code)}")
    _verify()


def _verify() -> None:
    """A UDP socket must now be refused with the filter's EPERM: a filter that installed but
    does not hold fails closed."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as error:
        if error.errno == errno.EPERM:
            return
        raise OSError(
            error.errno, f"the seccomp filter does not hold: a UDP socket failed with {error}"
        ) from error
    probe.close()
    raise OSError(errno.EPERM, "the seccomp filter does not hold: a UDP socket was created")
