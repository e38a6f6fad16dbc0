"""`grade batch` against `grade submit` once per submission in a fresh process, in one run.

Generates a class of submissions from the scenario folders (correct in several styles,
common mistakes, a few that time out), grades it with `grade batch`, grades a sample of
it with a fresh `grade submit` each, and prints throughputs, their ratio, the batch's cost
per submission against the fork floor (a child forked from a warm parent that runs one small
convolution), where a submission's judge spends its time (from the reports: each kind of
check, and the rest: pytest, the children's start and end, the report), and, with
``--dask-workers N``, the same class on a local Dask cluster of N one-thread workers.

    python benchmarks/batch_throughput.py [--students 200] [--fresh-sample 10] [--jobs 2]
                                          [--dask-workers 2]
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


def _class(folder: Path, students: int, *, hangs: bool = True) -> list[Path]:
    mix = MIX if hangs else [name for name in MIX if name != "infinite_loop_builder"]
    paths = []
    for index in range(students):
        scenario = mix[index % len(mix)]
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


def _phases(reports: Path, started_at: float, batch_s: float) -> tuple[float, float, float]:
    """Seconds to the first report, seconds a submission between the first and the last, and
    seconds after the last: what is paid once (starting torch twice, in the zygote and the
    warm parent; writing the gradebook) apart from what every submission costs."""
    written = sorted(path.stat().st_mtime - started_at for path in reports.glob("*.json"))
    if len(written) < 2:
        return batch_s, 0.0, 0.0
    return written[0], (written[-1] - written[0]) / (len(written) - 1), batch_s - written[-1]


def _breakdown(reports: Path) -> dict[str, float]:
    """Mean seconds per submission: each kind of check (its id less the configuration), and
    the judge's own time (the report's duration less its checks')."""
    import json

    totals: dict[str, float] = {}
    count = 0
    for path in reports.glob("*.json"):
        report = json.loads(path.read_text())
        count += 1
        checks = 0.0
        for assignment in report["assignments"]:
            for check in assignment["checks"]:
                kind = check["id"].split("[")[0]
                totals[kind] = totals.get(kind, 0.0) + check["duration_s"]
                checks += check["duration_s"]
        totals["(judge: pytest, children, report)"] = (
            totals.get("(judge: pytest, children, report)", 0.0) + report["duration_s"] - checks
        )
    return {kind: seconds / max(count, 1) for kind, seconds in sorted(totals.items(), key=lambda kv: -kv[1])}


def _dask(submissions: Path, out: Path, workers: int) -> float:
    """Seconds for the class on a local Dask cluster of ``workers`` one-thread workers."""
    sys.path.insert(0, str(ROOT))
    from distributed import LocalCluster

    from grader.batch import grade_batch

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        started = time.monotonic()
        grade_batch(
            submissions=submissions,
            out=out,
            homework="blocks",
            timeout_s=float(TIMEOUT),
            scheduler=cluster.scheduler_address,
            language="en",
        )
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--fresh-sample", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask-workers", type=int, default=0)
    parser.add_argument("--without-hangs", action="store_true", help="a class in which nothing hangs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as folder:
        paths = _class(Path(folder) / "submissions", args.students, hangs=not args.without_hangs)
        grade = [sys.executable, "-m", "grader"]
        reference = str(ROOT / "reference" / "blocks")
        blocks = ["-H", "blocks", "--lang", "en"]
        # The facts the checks compare against, public and hidden, are computed once for a
        # grader and course (by the first judges of the first batch): here, beforehand.
        subprocess.run(
            [*grade, "submit", reference, "-q", "--hidden", *blocks], check=True, capture_output=True
        )
        started = time.monotonic()
        started_at = time.time()  # report files carry wall-clock times
        batch = [
            *grade,
            "batch",
            str(Path(folder) / "submissions"),
            "--out",
            str(Path(folder) / "out"),
            *blocks,
        ]
        subprocess.run(
            [*batch, "--jobs", str(args.jobs), "--timeout", TIMEOUT], check=True, capture_output=True
        )
        batch_s = time.monotonic() - started
        phases = _phases(Path(folder) / "out" / "reports", started_at, batch_s)
        step = max(1, len(paths) // args.fresh_sample)
        sample = paths[::step][: args.fresh_sample]
        started = time.monotonic()
        for path in sample:
            # Graded as it is (status 0): what is timed is the grading, whatever the score.
            subprocess.run(
                [*grade, "submit", str(path), "-q", "--hidden", "--timeout", TIMEOUT, *blocks],
                check=True,
                capture_output=True,
            )
        fresh_each = (time.monotonic() - started) / len(sample)
        breakdown = _breakdown(Path(folder) / "out" / "reports")
        dask_s = (
            _dask(Path(folder) / "submissions", Path(folder) / "dask", args.dask_workers)
            if args.dask_workers
            else None
        )
    floor = _fork_floor()
    batch_each = batch_s / args.students
    hangs = "none hang" if args.without_hangs else "1 in 21 hangs"
    print(
        f"students                       {args.students} ({hangs}; jobs {args.jobs}, "
        f"request timeout {TIMEOUT} s)"
    )
    print(f"grade batch                    {batch_s:7.1f} s   {args.students / batch_s:6.2f} submissions/s")
    print(
        f"grade submit, fresh process    {fresh_each:7.2f} s each (sample of {len(sample)})   "
        f"{1 / fresh_each:6.2f} submissions/s"
    )
    print(f"throughput ratio               {fresh_each / batch_each:7.1f} x   (goal: at least 15 x)")
    print(f"batch cost per submission      {batch_each * 1000:7.0f} ms wall   (goal: at most 150 ms)")
    print(f"fork floor                     {floor * 1000:7.0f} ms   ({batch_each / floor:.1f} x the floor)")
    first, steady, tail = phases
    print(
        f"  of which: start-up to the first report {first:.1f} s, then {steady * 1000:.0f} ms a "
        f"submission, then {tail:.1f} s after the last (gradebook, feedback files)"
    )
    print("where a submission's judge spends its time (mean wall, ms; the judges run side by side):")
    for kind, seconds in breakdown.items():
        print(f"  {kind:32} {seconds * 1000:7.0f}")
    if dask_s is not None:
        print(
            f"dask, {args.dask_workers} workers                 {dask_s:7.1f} s   "
            f"{args.students / dask_s:6.2f} submissions/s   ({batch_s / dask_s:.2f} x the local batch with "
            f"{args.jobs} jobs)"
        )


if __name__ == "__main__":
    main()
