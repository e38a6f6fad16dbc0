"""``grade submit`` and ``grade list`` as plain functions the CLI and tests call."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.course import Course
from grader.judge.launch import (
    JudgeJob,
    JudgeRun,
    WarmParent,
    collect_checks,
    protected_paths,
    report_of,
    run_subprocess,
)
from grader.notebook import read as notebook_read
from grader.notebook import slice as notebook_slice
from grader.report.json_report import write_json
from grader.report.model import Report
from grader.report.record import CollectedCheck
from grader.sandbox.client import start_method as sandbox_start_method
from grader.sandbox.zygote import Zygote
from grader.submission import Snapshot, lone_notebook, require_submission, snapshot, snapshot_notebook


def submit(
    *,
    path: Path,
    json_path: Path | None = None,
    homework: str | None = None,
    assignments: Sequence[str] = (),
    timeout_s: float = settings.REQUEST_TIMEOUT_S,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    start_method: str | None = None,
    hidden: bool = False,
    language: str | None = None,
    warm: WarmParent | None = None,
) -> Report:
    """Grade one submission folder; write the JSON report if asked; return the report.

    ``homework``: the homework graded; by default the course's only one, else the one whose
    exercise modules ``path`` holds (``Course.choose_homework``). ``path`` may also hold the
    homework's folder (``reference/`` holds ``reference/blocks/``), which is then graded.
    ``assignments``: only these exercises of it. ``hidden``: also run the hidden checks, as
    instructor grading does (needs ``reference/<homework>/``). ``language``: of the feedback
    (``en``, ``ko``); by default the user's locale's, else the course's (``grader.i18n``).
    ``warm``: judge in a fork of this warm parent instead of a fresh interpreter (``--watch``).
    """
    started = time.monotonic()
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    require_submission(path)
    course = Course.load(course_dir)
    language = course.speak(language)
    # Warming torch in the zygote is the longest step: it starts before anything else is read.
    forking = warm is None and sandbox_start_method(start_method) == "fork"
    zygote = Zygote.start(protected=protected_paths(course_dir)) if forking else None
    try:
        run, job, copy = _judge(
            path=path,
            course=course,
            homework=homework,
            assignments=assignments,
            timeout_s=timeout_s,
            start_method=start_method,
            hidden=hidden,
            language=language,
            warm=warm,
            zygote=zygote,
        )
    except BaseException:
        if zygote is not None:
            zygote.kill()  # a usage error: not worth waiting for its warm-up to end
        raise
    report = report_of(
        job, run, submission=copy.submission, created=created, duration_s=time.monotonic() - started
    )
    if json_path is not None:
        write_json(report, json_path)
    return report


def _judge(
    *,
    path: Path,
    course: Course,
    homework: str | None,
    assignments: Sequence[str],
    timeout_s: float,
    start_method: str | None,
    hidden: bool,
    language: str,
    warm: WarmParent | None,
    zygote: Zygote | None,
) -> tuple[JudgeRun, JudgeJob, Snapshot]:
    """Choose the homework, snapshot the submission and judge it (with ``warm``, else in a fresh
    judge handed the started ``zygote``, which it closes)."""
    course_dir = course.directory
    if path.is_dir():
        path = lone_notebook(path, course) or path
    parsed = notebook_slice.parse(notebook_read.read(path)) if path.is_file() else None
    defines = None if parsed is None else notebook_slice.defined_names(parsed)
    chosen = course.choose_homework(homework, path, defines=defines)
    exercises = chosen.select(list(assignments))
    if parsed is None:
        path = chosen.submission_folder(path)
    with (
        tempfile.TemporaryDirectory(prefix="grader-submission-") as folder,
        tempfile.TemporaryDirectory(prefix="grader-judge-") as work,
    ):
        if parsed is None:
            copy = snapshot(path, Path(folder))
        else:
            copy = snapshot_notebook(path, parsed, Path(folder), exercises)
        os.chmod(folder, 0o755)  # readable by the sandbox's own uid, when it has one
        job = JudgeJob(
            course_dir=course_dir,
            homework=chosen.id,
            exercises=exercises,
            submission=copy.folder,
            seed_material=copy.submission.sha256,
            timeout_s=timeout_s,
            hidden=hidden,
            work=Path(work),
            start_method=start_method,
            language=language,
        )
        if warm is not None:
            return warm.run(job), job, copy
        try:
            return run_subprocess(job, zygote=zygote), job, copy
        finally:
            if zygote is not None:
                zygote.close()


@dataclass(frozen=True, kw_only=True)
class ExerciseListing:
    id: str
    title: str
    max_score: float
    checks: tuple[CollectedCheck, ...]


@dataclass(frozen=True, kw_only=True)
class HomeworkListing:
    id: str
    title: str
    exercises: tuple[ExerciseListing, ...]

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)


def list_homeworks(*, course_dir: Path = settings.DEFAULT_COURSE_DIR) -> list[HomeworkListing]:
    """Each homework with its exercises and their checks, in the course's order."""
    course = Course.load(course_dir)
    checks = collect_checks(course_dir=course_dir, exercises=course.exercises)
    return [
        HomeworkListing(
            id=homework.id,
            title=homework.title,
            exercises=tuple(
                ExerciseListing(
                    id=exercise.id,
                    title=exercise.title,
                    max_score=sum(c.points for c in checks if c.exercise == exercise.id),
                    checks=tuple(c for c in checks if c.exercise == exercise.id),
                )
                for exercise in homework.exercises
            ),
        )
        for homework in course.homeworks
    ]
