"""Checking the seed's four exercises the naive way (running them at the seed's sizes, as
the notebook does) against `grade submit reference`, side by side, in one run.

    python benchmarks/naive_vs_grader.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parent.parent

# The notebook's cells: build each exercise and run it on a tensor of the seed's size.
NAIVE = f"""
import sys
sys.path.insert(0, {str(ROOT / "reference" / "blocks")!r})
import torch
from alexnet_block import build_alexnet_block
from vgg_block import build_vgg_block
from inception import build_inception
from residual import build_residual

with torch.no_grad():
    assert build_alexnet_block()(torch.rand(32, 3, 224, 224)).shape == (32, 48, 222, 222)
    assert build_vgg_block()(torch.rand(32, 1, 28, 28)).shape == (32, 8, 14, 14)
    assert build_inception()(torch.rand(1, 192, 224, 224)).shape == (1, 256, 224, 224)
    assert build_residual()(torch.rand(32, 256, 224, 224)).shape == (32, 256, 224, 224)
"""


def main() -> None:
    grade = [sys.executable, "-m", "grader", "submit", str(ROOT / "reference" / "blocks"), "--quiet"]
    measure(grade)  # store the reference facts first, as any later grading finds them
    naive = measure([sys.executable, "-c", NAIVE])
    graded = measure(grade)
    if naive.returncode or graded.returncode:
        sys.exit(f"a run failed: naive {naive.returncode}, grader {graded.returncode}")
    print(f"{'':34}{'wall':>9}{'peak memory (PSS)':>20}")
    for name, run in (("naive: run at the seed's sizes", naive), ("grade submit reference", graded)):
        print(f"{name:34}{run.wall_s:8.2f}s{run.peak_tree_bytes / 2**20:16.0f} MiB")
    print(
        f"{'ratio naive / grader':34}{naive.wall_s / graded.wall_s:8.1f}x"
        f"{naive.peak_tree_bytes / graded.peak_tree_bytes:16.1f} x"
    )
    print(
        "(the grader also checks types, parameter counts, behaviour, a second configuration and the device)"
    )


if __name__ == "__main__":
    main()
