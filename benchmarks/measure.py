"""Wall time and peak memory (PSS) of a whole process tree, sampled from /proc (Linux)."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    peak_tree_bytes: int
    returncode: int


def _pss(pid: int) -> int:
    """Proportional set size: pages shared by forked children are counted once in all."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_pss(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _pss(pid)
        stack.extend(children.get(pid, []))
    return total


def measure(
    command: Sequence[str],
    *,
    interval_s: float = 0.02,
    env: dict[str, str] | None = None,
    memory: bool = True,
) -> Measurement:
    """Run ``command``; sample the summed PSS of it and all its descendants.

    ``memory=False`` times it unobserved (peak 0): reading every process's smaps every 20 ms
    takes CPU from what is timed, more the more processes the tree has, which would favour
    a one-process baseline on a 2-core machine.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    if not memory:
        returncode = process.wait()
        return Measurement(wall_s=time.monotonic() - started, peak_tree_bytes=0, returncode=returncode)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_pss(process.pid))
            time.sleep(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = process.wait()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    return Measurement(wall_s=wall, peak_tree_bytes=peak, returncode=returncode)


def median(measurements: list[Measurement]) -> Measurement:
    return Measurement(
        wall_s=statistics.median(m.wall_s for m in measurements),
        peak_tree_bytes=max(m.peak_tree_bytes for m in measurements),
        returncode=max(m.returncode for m in measurements),
    )
