"""``grade submit PATH --watch``: re-grade on every save, from a warm parent.

The warm parent (a zygote started once, this process prepared once: grader/judge/launch.py)
never runs student code; each grade is a judge forked from it, so a re-grade costs the
checks, not an interpreter and torch. Saves are found by polling the files' sizes and
modification times (no platform watcher to install); a burst of saves (an editor writing a
file and its backup) is graded once, when it settles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.judge.launch import WarmParent
from grader.report.model import Report

#: How often the files are looked at, and how long they must stay unchanged before a grade.
POLL_S = 0.03
SETTLE_S = 0.02

Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True, kw_only=True)
class Regrade:
    """One grade of the watched path, and what set it off."""

    report: Report
    changed: tuple[str, ...]  # the files whose save started it (empty: the first grade)
    saved_at: float  # time.monotonic() of the first save it took in
    graded_at: float


def files_state(path: Path) -> Snapshot:
    """The watched files' sizes and modification times (a notebook, or a folder's .py files)."""
    if path.is_file():
        candidates: Iterator[Path] = iter([path])
    else:
        candidates = (p for p in path.rglob("*") if p.suffix in (".py", ".ipynb"))
    state = {}
    for candidate in candidates:
        if any(part.startswith(".") or part == "__pycache__" for part in candidate.parts[len(path.parts) :]):
            continue
        try:
            stat = candidate.stat()
        except OSError:
            continue
        state[str(candidate)] = (stat.st_mtime_ns, stat.st_size)
    return state


def watch(
    *,
    path: Path,
    grade: Callable[[WarmParent], Report],
    on_grade: Callable[[Regrade], None],
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    homework: str | None = None,
    rounds: int | None = None,
) -> None:
    """Grade ``path`` now and after every save until interrupted (or ``rounds`` grades, for
    tests). ``grade`` grades once with the warm parent it is given; Ctrl-C ends the running
    judge, the zygote and this loop, leaving nothing running."""
    warm = WarmParent(course_dir=course_dir, homework=homework)
    try:
        state = files_state(path)
        started = time.monotonic()
        on_grade(Regrade(report=grade(warm), changed=(), saved_at=started, graded_at=time.monotonic()))
        graded = 1
        while rounds is None or graded < rounds:
            time.sleep(POLL_S)
            now = files_state(path)
            if now == state:
                continue
            saved_at = time.monotonic()
            while True:  # let a burst of writes settle
                time.sleep(SETTLE_S)
                settled = files_state(path)
                if settled == now:
                    break
                now = settled
            changed = tuple(
                sorted(name for name in now.keys() | state.keys() if now.get(name) != state.get(name))
            )
            state = now
            report = grade(warm)
            on_grade(Regrade(report=report, changed=changed, saved_at=saved_at, graded_at=time.monotonic()))
            graded += 1
    finally:
        warm.close()
