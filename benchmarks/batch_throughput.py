"""`grade batch` against `grade submit` once per submission in a fresh process, in one run.

Generates a class of submissions from the scenario folders (correct in several styles,
common mistakes, a few that time out), grades it with `grade batch`, grades a sample of
it with a fresh `grade submit` each, and prints throughputs, their ratio (goal: at least
10x), and the batch's cost per submission against the fork floor (a child forked from a
warm parent that runs one small convolution).

    python benchmarks/batch_throughput.py [--students 200] [--fresh-sample 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"
# A realistic mix: mostly right (in several styles), common mistakes, a few that hang.
MIX = (
    ["seed_answers"] * 6
    + ["other_styles"] * 6
    + ["wrong_padding", "no_shortcut", "bias_false", "missing_dropout", "arguments_ignored"]
    + ["cat_wrong_dim", "branch_order", "missing_relu", "relu_call", "syntax_error"]
    + ["infinite_loop_builder"]
)
TIMEOUT = "2"


def _class(folder: Path, students: int) -> list[Path]:
    paths = []
    for index in range(students):
        scenario = MIX[index % len(MIX)]
        path = folder / f"hw1-student{index:03d}"
        shutil.copytree(SCENARIOS / scenario / "submission", path)
        paths.append(path)
    return paths


def _fork_floor(samples: int = 20) -> float:
    """Seconds for a child forked from a warm parent to run a small convolution and exit."""
    code = f"""
import os, time, torch
torch.ones(1, device="meta") + 1
total = 0.0
for _ in range({samples}):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        torch.nn.Conv2d(3, 8, 3)(torch.rand(1, 3, 16, 16))
        os._exit(0)
    os.waitpid(pid, 0)
    total += time.perf_counter() - start
print(total / {samples})
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--fresh-sample", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as folder:
        paths = _class(Path(folder) / "submissions", args.students)
        grade = [sys.executable, "-m", "grader"]
        reference = str(ROOT / "reference" / "blocks")
        subprocess.run([*grade, "submit", reference, "-q"], check=True, capture_output=True)
        started = time.monotonic()
        batch = [*grade, "batch", str(Path(folder) / "submissions"), "--out", str(Path(folder) / "out")]
        subprocess.run(
            [*batch, "--jobs", str(args.jobs), "--timeout", TIMEOUT], check=True, capture_output=True
        )
        batch_s = time.monotonic() - started
        step = max(1, len(paths) // args.fresh_sample)
        sample = paths[::step][: args.fresh_sample]
        started = time.monotonic()
        for path in sample:
            # Graded as it is (status 0): what is timed is the grading, whatever the score.
            subprocess.run(
                [*grade, "submit", str(path), "-q", "--hidden", "--timeout", TIMEOUT],
                check=True,
                capture_output=True,
            )
        fresh_each = (time.monotonic() - started) / len(sample)
    floor = _fork_floor()
    batch_each = batch_s / args.students
    print(f"students                       {args.students} (jobs {args.jobs}, request timeout {TIMEOUT} s)")
    print(f"grade batch                    {batch_s:7.1f} s   {args.students / batch_s:6.2f} submissions/s")
    print(
        f"grade submit, fresh process    {fresh_each:7.2f} s each (sample of {len(sample)})   "
        f"{1 / fresh_each:6.2f} submissions/s"
    )
    print(f"throughput ratio               {fresh_each / batch_each:7.1f} x   (goal: at least 10 x)")
    print(f"batch cost per submission      {batch_each * 1000:7.0f} ms wall")
    print(f"fork floor                     {floor * 1000:7.0f} ms   ({batch_each / floor:.1f} x the floor)")


if __name__ == "__main__":
    main()
