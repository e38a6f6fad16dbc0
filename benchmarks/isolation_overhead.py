"""What isolation costs: `grade submit reference` with every layer this machine offers,
against the same with only a process group and resource limits (GRADER_ISOLATION=minimal),
and against `python -c "import torch"`, interleaved in one run; medians are printed.

    python benchmarks/isolation_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import measure, median

ROOT = Path(__file__).resolve().parent.parent


def _layers(env: dict[str, str]) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            sys.executable,
            "-m",
            "grader",
            "submit",
            str(ROOT / "reference" / "blocks"),
            "-q",
            "--json",
            str(report),
        ]
        subprocess.run(command, env=env, check=True, capture_output=True)
        return json.loads(report.read_text())["environment"]["isolation"]["active"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    grade = [sys.executable, "-m", "grader", "submit", str(ROOT / "reference" / "blocks"), "--quiet"]
    full_env = dict(os.environ)
    minimal_env = {**os.environ, "GRADER_ISOLATION": "minimal"}
    full_layers, minimal_layers = _layers(full_env), _layers(minimal_env)  # also stores the facts
    torch_runs, full_runs, minimal_runs = [], [], []
    for _ in range(args.runs):
        torch_runs.append(measure([sys.executable, "-c", "import torch"]))
        minimal_runs.append(measure(grade, env=minimal_env))
        full_runs.append(measure(grade, env=full_env))
    base, minimal, full = median(torch_runs), median(minimal_runs), median(full_runs)
    print(f"python -c 'import torch'            {base.wall_s:6.2f} s")
    print(f"grade submit, minimal isolation     {minimal.wall_s:6.2f} s  ({', '.join(minimal_layers)})")
    print(f"grade submit, every layer           {full.wall_s:6.2f} s  ({', '.join(full_layers)})")
    print(f"isolation overhead                  {full.wall_s / minimal.wall_s:6.2f} x")
    print(f"every layer / import torch          {full.wall_s / base.wall_s:6.2f} x")
    print(f"peak memory (PSS), every layer      {full.peak_tree_bytes / 2**20:6.0f} MiB")


if __name__ == "__main__":
    main()
