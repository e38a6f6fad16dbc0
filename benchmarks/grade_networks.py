"""Grading the networks homework's reference against checking it the naive way, in one run.

The naive way is a notebook's: build each of the four networks and run it on a batch of the
statement's size, (32, 3, 224, 224). The grader checks those shapes on the meta device and
behaviour on small inputs with its own weights. The goal: at most 30 s wall and 3 GiB peak
PSS of the grader's whole process tree on a 2-core machine.

    python benchmarks/grade_networks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parent.parent

NAIVE = f"""
import sys
sys.path.insert(0, {str(ROOT / "reference" / "networks")!r})
import torch
from alexnet import build_alexnet
from vgg16 import build_vgg16
from googlenet import build_googlenet
from resnet50 import build_resnet50

with torch.no_grad():
    for build in (build_alexnet, build_vgg16, build_googlenet, build_resnet50):
        model = build().eval()
        assert model(torch.rand(32, 3, 224, 224)).shape == (32, 1000)
        del model
"""

GOAL_S = 30.0
GOAL_BYTES = 3 * 1024**3


def main() -> None:
    grade = [
        sys.executable, "-m", "grader", "submit", str(ROOT / "reference" / "networks"),
        "--homework", "networks", "--quiet",
    ]  # fmt: skip
    measure(grade)  # the reference facts are computed once and stored, as any later grading finds them
    graded = measure(grade)
    naive = measure([sys.executable, "-c", NAIVE])
    if naive.returncode or graded.returncode:
        sys.exit(f"a run failed: naive {naive.returncode}, grader {graded.returncode}")
    print(f"{'':40}{'wall':>9}{'peak memory (PSS)':>20}")
    for name, run in (
        ("naive: the four at (32, 3, 224, 224)", naive),
        ("grade submit reference -H networks", graded),
    ):
        print(f"{name:40}{run.wall_s:8.2f}s{run.peak_tree_bytes / 2**20:16.0f} MiB")
    print(
        f"{'ratio naive / grader':40}{naive.wall_s / graded.wall_s:8.1f}x"
        f"{naive.peak_tree_bytes / graded.peak_tree_bytes:16.1f} x"
    )
    within = graded.wall_s <= GOAL_S and graded.peak_tree_bytes <= GOAL_BYTES
    print(
        f"goal ≤ {GOAL_S:.0f} s and ≤ {GOAL_BYTES / 2**30:.0f} GiB: {'met' if within else 'NOT met'}"
        " (the grader also checks stage shapes, types, parameter counts, behaviour at two"
        " configurations and the device)"
    )


if __name__ == "__main__":
    main()
