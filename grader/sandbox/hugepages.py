"""Share a warm process's memory with its forks in huge pages.

A fork copies the parent's page table entry by entry and takes a reference on every page,
and its exit drops them again: for a process holding torch (about 180 MB of anonymous
memory, 46,000 pages of 4 KiB) that is most of what a fork and exit cost. Collapsed into
transparent huge pages of 2 MiB, the same memory is 90 entries. A fork that then writes to
a shared huge page splits it and copies only the 4 KiB it wrote (Linux 5.8 and later).

``MADV_COLLAPSE`` (Linux 6.1) collapses a range now, whatever the system's THP policy says
(other than ``never``); elsewhere nothing happens and forks cost what they did.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator, Mapping

MADV_COLLAPSE = 25
HUGE_PAGE = 2 << 20


def collapse() -> int:
    """Collapse this process's private writable anonymous memory (the heap, malloc's and
    Python's arenas) into huge pages; the bytes asked for (0 where unsupported).

    About 0.5 s for torch's 180 MB, paid once by a process that forks hundreds of times, and
    never where one grade waits on it (``grade submit`` forks a child or two)."""
    return sum(collapse_steps())


def collapse_steps(step_bytes: int = 1 << 62) -> Iterator[int]:
    """``collapse`` a piece of at most ``step_bytes`` at a time, yielding the bytes of each:
    a process that serves requests collapses between them (16 MB take about 35 ms)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        # This process's own symbols, libc's among them (find_library would run ldconfig).
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps") as maps:
            lines = maps.readlines()
    except (OSError, AttributeError):
        return
    for line in lines:
        fields = line.split()
        name = fields[5] if len(fields) > 5 else ""
        if not fields[1].startswith("rw") or fields[1][3] != "p" or name not in ("", "[heap]"):
            continue
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        start = (low + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
        end = high & ~(HUGE_PAGE - 1)
        while start < end:
            size = min(end - start, max(HUGE_PAGE, step_bytes & ~(HUGE_PAGE - 1)))
            if madvise(start, size, MADV_COLLAPSE) != 0 and ctypes.get_errno() == 22:
                return  # EINVAL: a kernel without MADV_COLLAPSE
            yield size
            start += size


def malloc_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` for a process whose memory will be collapsed: glibc's malloc (2.35 and
    later) asks for huge pages as its heap grows, so most of torch's arrives in them and the
    collapse that follows its warm-up takes a fraction of the time (0.05-0.2 s instead of
    0.4-0.5 s). Other C libraries ignore the variable."""
    tunables = [item for item in environment.get("GLIBC_TUNABLES", "").split(":") if item]
    if not any(item.startswith("glibc.malloc.hugetlb=") for item in tunables):
        tunables.append("glibc.malloc.hugetlb=1")
    return {**environment, "GLIBC_TUNABLES": ":".join(tunables)}
