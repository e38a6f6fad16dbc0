"""`grade submit --watch`: seconds from a save to the new score, against a fresh `grade submit`.

Goal (issue 13): within 0.5 s of the save for the blocks homework. The watcher runs as a
student runs it (`grade submit DIR --watch -q`); the benchmark saves a file (alternately
breaking and fixing the VGG block's padding) and times until the new score is printed,
which includes noticing the save (files are polled every 30 ms). A fresh `grade submit` of
the same folder is the baseline, measured in the same run.

    python benchmarks/watch_latency.py [--saves 8]
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import measure, median

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "tests" / "scenarios" / "seed_answers" / "submission"


class _Lines:
    """Lines of a pipe read as they come (raw reads: a buffered readline can hold a line back)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.pending, self.selector = fd, b"", selectors.DefaultSelector()
        self.selector.register(fd, selectors.EVENT_READ)

    def next_score(self, timeout: float) -> str:
        """The next line that is a score (``36/36``), within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                text = line.decode(errors="replace").strip()
                if "/" in text and text.replace("/", "").replace(".", "").isdigit():
                    return text
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(timeout=left):
                raise TimeoutError("no new score")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise TimeoutError("the watcher ended")
            self.pending += chunk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=8)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="grader-watch-")) / "solution"
    shutil.copytree(SOLUTION, folder)
    grade = [sys.executable, "-m", "grader", "submit", str(folder), "-H", "blocks", "--lang", "en", "-q"]
    fresh = [measure(grade) for _ in range(3)]
    process = subprocess.Popen([*grade, "--watch"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    lines = _Lines(process.stdout.fileno())
    latencies, scores = [], []
    try:
        lines.next_score(timeout=60)  # the first grade, with the zygote's warm-up
        vgg = folder / "vgg_block.py"
        right = vgg.read_text()
        wrong = right.replace("padding='same'", "padding=0")
        for index in range(args.saves):
            time.sleep(0.3)
            saved = time.monotonic()
            vgg.write_text(wrong if index % 2 == 0 else right)
            scores.append(lines.next_score(timeout=30))
            latencies.append(time.monotonic() - saved)
    finally:
        process.send_signal(2)  # Ctrl-C
        process.wait(10)
    shutil.rmtree(folder.parent)
    print(f"fresh grade submit                 {median(fresh).wall_s:6.2f} s  (median of 3)")
    print(
        f"--watch: save to new score         {sorted(latencies)[len(latencies) // 2]:6.2f} s  "
        f"(median of {len(latencies)}; max {max(latencies):.2f} s; goal: at most 0.50 s)"
    )
    print(f"scores after each save             {', '.join(scores)}")
    print(f"exit status after Ctrl-C           {process.returncode}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
