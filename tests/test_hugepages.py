"""A warm process's memory is shared with its forks in huge pages where the kernel can."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import torch
from grader.sandbox import hugepages

asked = hugepages.collapse()
with open("/proc/self/smaps_rollup") as rollup:
    huge = next(int(line.split()[1]) for line in rollup if line.startswith("AnonHugePages:"))
print(asked, huge * 1024)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux's")
def test_torchs_memory_is_collapsed_into_huge_pages() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    asked, huge = map(int, done.stdout.split())
    if asked == 0:
        pytest.skip("this kernel has no MADV_COLLAPSE (Linux 6.1)")
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    if "[never]" in mode:
        pytest.skip("transparent huge pages are off on this machine")
    # Most of torch's heap: what a fork then copies as a few dozen entries.
    assert huge >= 64 * 2**20, f"only {huge} bytes of {asked} asked for are in huge pages"


def test_a_zygotes_malloc_asks_for_huge_pages_unless_told_otherwise() -> None:
    from grader.sandbox.hugepages import malloc_environment

    fresh = malloc_environment({"PATH": "/bin"})
    assert fresh == {"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
    kept = malloc_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})["GLIBC_TUNABLES"]
    assert kept == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    assert malloc_environment({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})["GLIBC_TUNABLES"] == (
        "glibc.malloc.hugetlb=0"
    )
