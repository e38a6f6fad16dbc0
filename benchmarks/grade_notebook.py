"""Grading a notebook against grading the same code as modules, measured in the same run.

Goal (issue 12): a notebook costs at most 10 % more. The notebook is the seed's answers among
the seed's own kind of cells (tests/scenarios/notebook_seed: %matplotlib, !pip, a tensor of
(32, 256, 224, 224) at top level, prints, a slow loop, a plot); the modules are the same
answers as files (tests/scenarios/seed_answers). Runs are interleaved; medians are printed,
with what reading and slicing the notebook costs on its own.

    python benchmarks/grade_notebook.py [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from measure import measure, median

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    def grade(path: Path) -> list[str]:
        return [sys.executable, "-m", "grader", "submit", str(path), "-H", "blocks", "--lang", "en", "-q"]

    notebook = grade(SCENARIOS / "notebook_seed" / "homework.ipynb")
    modules = grade(SCENARIOS / "seed_answers" / "submission")
    measure(modules)  # the first run stores the reference facts; later runs read them
    module_runs, notebook_runs = [], []
    for _ in range(args.runs):
        module_runs.append(measure(modules))
        notebook_runs.append(measure(notebook))
    as_modules, as_notebook = median(module_runs), median(notebook_runs)
    if as_modules.returncode != 0 or as_notebook.returncode != 0:
        sys.exit("grading failed")

    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    from grader.notebook.read import read
    from grader.notebook.slice import needed, parse

    parsed = parse(read(SCENARIOS / "notebook_seed" / "homework.ipynb"))
    for builder in ("build_alexnet_block", "build_vgg_block", "build_inception", "build_residual"):
        needed(parsed, [builder])
    slicing = time.perf_counter() - started

    ratio = as_notebook.wall_s / as_modules.wall_s
    print(f"grade submit seed_answers/ (modules)   {as_modules.wall_s:6.2f} s   (median of {args.runs})")
    print(f"grade submit homework.ipynb (notebook) {as_notebook.wall_s:6.2f} s   (median of {args.runs})")
    print(f"ratio                                  {ratio:6.3f} x   (goal: at most 1.10 x)")
    print(f"reading and slicing the notebook       {slicing * 1000:6.0f} ms  (nbformat's import included)")
    print(
        f"peak memory (PSS), tree                {as_notebook.peak_tree_bytes / 2**20:6.0f} MiB "
        f"(modules: {as_modules.peak_tree_bytes / 2**20:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
