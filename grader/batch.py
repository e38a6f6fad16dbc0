"""``grade batch``: a class's submissions into a gradebook, graded in parallel by warm judges.

This process is the judges' warm parent: it imports pytest, torch and the judge's plugin
once, and a judge server forked from it configures pytest and collects the checks once; each
submission's judge is a fork of that server, so no submission pays for ``import torch`` or
pytest's start. Neither computes on the CPU itself (a process that has run a multi-threaded
CPU op cannot fork safely). Each judge gets a private zygote, forked from one warm zygote, so student code is
isolated exactly as in ``grade submit``.

Every finished report is written at once, atomically; a later run re-grades only
submissions whose content changed or whose report has another fingerprint (the grader's code,
the course, torch); ``force`` re-grades all.

After grading, every run writes each student's feedback files, and, when asked, the LMS's
import file (grader/lms.py) and the ranking of similar submissions (grader/similarity.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader import __version__, i18n, settings
from grader.course import Course, Exercise, Homework
from grader.fingerprint import fingerprint
from grader.intake import Entry, IntakeError, discover, extract
from grader.judge.launch import (
    JudgeJob,
    JudgeRun,
    WarmParent,
    finished,
    report_of,
    stop_judge,
)
from grader.lms import LmsOptions, LmsResult, plan_export, write_lms_import
from grader.report.feedback_files import write_student_feedback
from grader.report.gradebook import (
    GRADED,
    INCOMPLETE,
    INVALID,
    MISSING,
    StudentResult,
    csv_header,
    csv_row,
    summary,
)
from grader.report.html import render_html
from grader.report.json_report import write_json, write_text
from grader.report.model import Report, report_from_dict
from grader.similarity import Similarity, compare_class, require_copydetect
from grader.submission import Snapshot, UsageError, snapshot_entry


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    homework: str
    students: tuple[StudentResult, ...]
    exercises: tuple[Exercise, ...]
    ignored: tuple[str, ...]
    duration_s: float
    feedback: tuple[str, ...] = ()  # the students given feedback files
    lms: LmsResult | None = None
    similarity: Similarity | None = None

    @property
    def regraded(self) -> int:
        return sum(1 for s in self.students if s.report is not None and not s.reused)


@dataclass
class _Job:
    entry: Entry
    work: Path
    copy: Snapshot
    judge: JudgeJob
    started: float
    created: str
    deadline: float
    pid: int = 0


def grade_batch(
    *,
    submissions: Path,
    out: Path,
    jobs: int = settings.BATCH_JOBS,
    roster: Path | None = None,
    force: bool = False,
    homework: str | None = None,
    assignments: Sequence[str] = (),
    timeout_s: float = settings.REQUEST_TIMEOUT_S,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    scheduler: str | None = None,
    language: str | None = None,
    lms: LmsOptions | None = None,
    similarity: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[StudentResult], None] | None = None,
) -> BatchResult:
    """Grade every entry of ``submissions``; write reports, grades.csv, summary.json, report.html
    and feedback/<id>.md and .html to ``out``.

    Every submission is graded as ``homework`` (by default the course's only one), each
    exercise of it or those in ``assignments``. With ``scheduler`` (``tcp://host:8786``), each
    submission is a task on that Dask cluster. ``lms`` also writes the LMS's import file;
    ``similarity`` ranks pairs of submissions by shared code (needs copydetect). Their options
    are checked before any grading starts.
    """
    started = time.monotonic()
    if not submissions.is_dir():
        raise UsageError(f"not a folder: {submissions}")
    if roster is not None and not roster.is_file():
        raise UsageError(f"no such roster file: {roster}")
    course = Course.load(course_dir)
    language = course.speak(language)
    chosen = course.choose_homework(homework)
    exercises = chosen.select(list(assignments))
    if similarity:
        require_copydetect()
    lms_plan = plan_export(lms, chosen) if lms is not None else None
    intake = discover(submissions, roster)
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    if on_start:
        on_start(len(intake.entries))
    pages = _FeedbackPages(chosen, out, then=on_result)
    runner_class = _DaskRunner if scheduler else _Runner
    runner = runner_class(
        scheduler=scheduler,
        homework=chosen,
        exercises=exercises,
        course_dir=course_dir,
        reports=reports,
        timeout_s=timeout_s,
        force=force,
        jobs=max(1, jobs),
        on_result=pages.arrived,
        language=language,
    )
    try:
        results = runner.run(intake.entries)
    finally:
        runner.close()
    order = {entry.id: index for index, entry in enumerate(intake.entries)}
    results.sort(key=lambda r: order[r.id])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header(exercises))
    writer.writerows(csv_row(r, exercises) for r in results)
    write_text(buffer.getvalue(), out / "grades.csv")
    feedback = pages.in_order(results)
    exported = write_lms_import(lms_plan, results, out) if lms_plan is not None else None
    similar = None
    if similarity:
        handed_in = {entry.id: entry.path for entry in intake.entries if entry.path is not None}
        graded = [(r.id, handed_in[r.id]) for r in results if r.status == GRADED and r.id in handed_in]
        similar = compare_class(graded, chosen, exercises)
    overview = summary(results, exercises) | {
        "ignored": list(intake.ignored),
        "homework": chosen.id,
        "grader_version": __version__,
        "fingerprint": fingerprint(course_dir),
    }
    if exported is not None:
        overview["lms"] = exported.to_dict()
    if similar is not None:
        overview["similarity"] = similar.to_dict()
    write_text(json.dumps(overview, indent=2, ensure_ascii=False) + "\n", out / "summary.json")
    page = render_html(results, exercises, overview, feedback=feedback, similarity=similar)
    write_text(page, out / "report.html")
    return BatchResult(
        homework=chosen.id,
        students=tuple(results),
        exercises=exercises,
        ignored=intake.ignored,
        duration_s=time.monotonic() - started,
        feedback=tuple(feedback),
        lms=exported,
        similarity=similar,
    )


class _FeedbackPages:
    """Each student's feedback files, written as the result comes in, while the judges grade:
    at the end they would be a second or so on one core, the other one idle."""

    def __init__(
        self, homework: Homework, out: Path, *, then: Callable[[StudentResult], None] | None
    ) -> None:
        self.homework = homework
        self.out = out
        self.then = then
        self.pages: dict[str, str] = {}

    def arrived(self, result: StudentResult) -> None:
        page = write_student_feedback(result, self.homework, self.out)
        if page is not None:
            self.pages[result.id] = page
        if self.then:
            self.then(result)

    def in_order(self, results: Sequence[StudentResult]) -> dict[str, str]:
        """Student id → the HTML file, relative to ``out``, in the order of ``results``."""
        return {r.id: self.pages[r.id] for r in results if r.id in self.pages}


class _Runner:
    def __init__(
        self,
        *,
        scheduler: str | None,
        homework: Homework,
        exercises: tuple[Exercise, ...],
        course_dir: Path,
        reports: Path,
        timeout_s: float,
        force: bool,
        jobs: int,
        on_result: Callable[[StudentResult], None] | None,
        language: str = i18n.DEFAULT_LANGUAGE,
    ) -> None:
        self.language = language
        self.homework = homework
        self.exercises = exercises
        self.course_dir = course_dir
        self.reports = reports
        self.timeout_s = timeout_s
        self.force = force
        self.jobs = jobs
        self.on_result = on_result
        self.scheduler = scheduler
        self.running: dict[int, _Job] = {}
        self.results: list[StudentResult] = []
        self.warm: WarmParent | None = None

    def run(self, entries: tuple[Entry, ...]) -> list[StudentResult]:
        for entry in entries:
            job = self._prepare(entry)
            if job is None:
                continue
            while len(self.running) >= self.jobs:
                self._reap(block=True)
            self._launch(job)
        while self.running:
            self._reap(block=True)
        return self.results

    def _prepare(self, entry: Entry) -> _Job | None:
        """Snapshot the entry; None when its result is known without grading."""
        if entry.path is None:
            self._done(StudentResult(id=entry.id, name=entry.name, status=MISSING, reason="no submission"))
            return None
        work = Path(tempfile.mkdtemp(prefix="grader-batch-"))
        work.chmod(0o755)  # readable by the sandbox's own uid, when it has one
        try:
            source = extract(entry.path, work / "unpacked") if entry.is_zip else entry.path
            copy = snapshot_entry(source, work / "submission", self.homework, self.exercises)
        except (IntakeError, UsageError, OSError) as error:
            shutil.rmtree(work, ignore_errors=True)
            self._done(StudentResult(id=entry.id, name=entry.name, status=INVALID, reason=str(error)))
            return None
        previous = self._previous(entry, copy)
        if previous is not None:
            shutil.rmtree(work, ignore_errors=True)
            self._done(
                StudentResult(id=entry.id, name=entry.name, status=GRADED, report=previous, reused=True)
            )
            return None
        judge_work = work / "judge"
        judge_work.mkdir(mode=0o700)
        judge = JudgeJob(
            course_dir=self.course_dir,
            homework=self.homework.id,
            exercises=self.exercises,
            submission=copy.folder,
            seed_material=copy.submission.sha256,
            timeout_s=self.timeout_s,
            hidden=True,  # batch grading is the instructor's: every check counts
            work=judge_work,
            language=self.language,
        )
        now = time.monotonic()
        return _Job(
            entry=entry,
            work=work,
            copy=copy,
            judge=judge,
            started=now,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            deadline=now + judge.time_bound,
        )

    def _previous(self, entry: Entry, copy: Snapshot) -> Report | None:
        path = self.reports / f"{entry.id}.json"
        if self.force or not path.is_file():
            return None
        try:
            report = report_from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        graded = {a.id for a in report.assignments}
        if (
            report.error is None
            and report.fingerprint == fingerprint(self.course_dir)
            and report.homework == self.homework.id
            and report.submission.sha256 == copy.submission.sha256
            and graded == {e.id for e in self.exercises}
        ):
            return report
        return None

    def _launch(self, job: _Job) -> None:
        if self.warm is None:
            self.warm = WarmParent(course_dir=self.course_dir, homework=self.homework.id)
        job.started = time.monotonic()
        job.deadline = job.started + job.judge.time_bound
        job.pid = self.warm.start(job.judge)
        self.running[job.pid] = job

    def _reap(self, *, block: bool) -> None:
        while True:
            for pid, job in list(self.running.items()):
                status = self.warm.poll(pid) if self.warm is not None else None
                if status is not None:
                    del self.running[pid]
                    late = time.monotonic() > job.deadline
                    self._record(job, self._report(job, finished(job.judge, None if late else status)))
                    return
                if time.monotonic() > job.deadline:
                    stop_judge(pid)
            if not block:
                return
            if self.warm is not None:
                self.warm.wait(0.05)
            else:
                time.sleep(0.005)

    def _report(self, job: _Job, run: JudgeRun) -> Report:
        return report_of(
            job.judge,
            run,
            submission=job.copy.submission,
            created=job.created,
            duration_s=time.monotonic() - job.started,
        )

    def _record(self, job: _Job, report: Report) -> None:
        """Write the student's report whole, at once: an interrupted run keeps it."""
        write_json(report, self.reports / f"{job.entry.id}.json")
        shutil.rmtree(job.work, ignore_errors=True)
        status, reason = (GRADED, "") if report.error is None else (INCOMPLETE, report.error.splitlines()[0])
        entry = job.entry
        self._done(StudentResult(id=entry.id, name=entry.name, status=status, reason=reason, report=report))

    def _done(self, result: StudentResult) -> None:
        self.results.append(result)
        if self.on_result:
            self.on_result(result)

    def close(self) -> None:
        """End running judges (an interrupted run) and the zygote; finished reports stay."""
        for pid, job in list(self.running.items()):
            if self.warm is not None:
                self.warm.stop(pid)
            shutil.rmtree(job.work, ignore_errors=True)
        self.running.clear()
        if self.warm is not None:
            self.warm.close()
            self.warm = None


class _DaskRunner(_Runner):
    """Each submission is a task on an existing Dask cluster; results land in the same folder."""

    def run(self, entries: tuple[Entry, ...]) -> list[StudentResult]:
        from distributed import Client, as_completed

        from grader.remote import grade_packed, pack, warm_grading

        with Client(self.scheduler) as client:
            # The instructor's course travels to every worker once, in the plugin that keeps a
            # warm parent there: workers grade with it, not with whatever their grader holds.
            plugin = warm_grading(self.course_dir)
            try:
                client.register_plugin(plugin)
            except Exception as error:  # raised on a worker, re-raised here
                raise UsageError(f"a Dask worker refused to grade: {error}") from None
            futures = {}
            for entry in entries:
                job = self._prepare(entry)
                if job is None:
                    continue
                future = client.submit(
                    grade_packed,
                    pack(job.copy.folder),
                    fingerprint=plugin.fingerprint,
                    homework=self.homework.id,
                    assignments=[e.id for e in self.exercises],
                    timeout_s=self.timeout_s,
                    language=self.language,
                    key=f"grade-{entry.id}-{job.copy.submission.sha256[:16]}",
                    pure=False,
                )
                futures[future] = job
            for future in as_completed(futures):
                self._collect(futures[future], future)
        return self.results

    def _collect(self, job: _Job, future: Any) -> None:
        try:
            # The worker graded a copy: the report names the instructor's submission.
            report = replace(report_from_dict(future.result()), submission=job.copy.submission)
        except Exception as error:  # a worker or the cluster failed, not the submission
            why = f"the cluster could not grade it: {type(error).__name__}: {error}"
            run = JudgeRun(returncode=None, raw=None, log="", time_bound=job.judge.time_bound, not_run=why)
            report = self._report(job, run)
        self._record(job, report)
