"""`grade submit reference` against `python -c "import torch"`, measured in the same run.

Goal (issue 2): the grading's wall time at most twice the torch import, and the
peak memory of the whole process tree (CLI, judge, zygote, children) under 1 GB.
Runs are interleaved so both sides see the same machine state; medians are printed.

Also measured: the same solutions graded in a GitHub Classroom starter (``grade
classroom``), as a student runs it — from the frozen facts, the hidden checks skipped.

    python benchmarks/grade_reference.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from measure import measure, median

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    grade = [sys.executable, "-m", "grader", "submit", str(ROOT / "reference" / "blocks"), "--quiet"]
    baseline = [sys.executable, "-c", "import torch"]
    measure(grade)  # the first run stores the reference facts; later runs read them
    sys.path.insert(0, str(ROOT))
    from grader.ship import STARTER_GRADER_DIR, classroom_starter

    folder = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    starter = folder / "starter"
    classroom_starter(out=starter, homework="blocks")
    for solution in (ROOT / "reference" / "blocks").glob("*.py"):
        shutil.copy2(solution, starter / solution.name)
    in_starter = [*grade[:4], str(starter), "--course", str(starter / STARTER_GRADER_DIR), "--quiet"]
    torch_runs, grade_runs, starter_runs = [], [], []
    # Timed unobserved, interleaved; the peak memory comes from separate, sampled runs.
    for _ in range(args.runs):
        torch_runs.append(measure(baseline, memory=False))
        grade_runs.append(measure(grade, memory=False))
        starter_runs.append(measure(in_starter, memory=False))
    graded_memory, student_memory = measure(grade), measure(in_starter)
    shutil.rmtree(folder)
    torch_import, graded, student = median(torch_runs), median(grade_runs), median(starter_runs)
    if graded.returncode != 0:
        sys.exit(f"grade submit failed with status {graded.returncode}")
    ratio = graded.wall_s / torch_import.wall_s
    print(f"python -c 'import torch'   {torch_import.wall_s:6.2f} s   (median of {args.runs})")
    print(f"grade submit reference     {graded.wall_s:6.2f} s   (median of {args.runs})")
    print(f"ratio                      {ratio:6.2f} x   (goal: at most 1.60 x, issue 13)")
    peak, student_peak = graded_memory.peak_tree_bytes / 2**20, student_memory.peak_tree_bytes / 2**20
    print(f"peak memory (PSS), tree   {peak:6.0f} MiB (goal: under 1024 MiB)")
    print(
        f"in a Classroom starter     {student.wall_s:6.2f} s   "
        f"ratio {student.wall_s / torch_import.wall_s:.2f} x, peak {student_peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
