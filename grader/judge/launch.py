"""Run the judge: pytest in its own process, configured only by the grader.

One way to run a judge — its arguments, its environment, where it writes, how long it
may take, how its end is read into a report — and two launchers: a fresh interpreter
(``grade submit``), and a warm parent (``grade batch``, ``--watch``, a Dask worker, the
scenario tests) whose judges are forks of a judge server that configured pytest and
collected the checks once (grader/judge/server.py).

``python -I`` ignores PYTHON* variables, the user's site-packages and the current
folder; ``-c`` names the judge's ini file so nothing in a submission can configure
pytest; conftest files and plugin auto-loading are off, and so is the cache. Student
files are never under pytest's rootdir.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import i18n, settings, silence_missing_numpy
from grader.course import Exercise
from grader.judge.server import SERVER_GONE, JudgeRequest, JudgeServer
from grader.report.from_pytest import build_report
from grader.report.model import Report, Submission
from grader.report.record import CollectedCheck
from grader.sandbox.zygote import Zygote


def protected_paths(course_dir: Path) -> list[Path]:
    """What a child must never read: the reference and the checks of every homework, the stored
    facts."""
    return [course_dir / "reference", course_dir / "assignments", settings.default_facts_cache()]


def judge_time_bound(timeout_s: float, exercises: int) -> float:
    """Bounded even if every check ran into its own timeout."""
    return 60 + timeout_s * 12 * max(1, exercises)


@dataclass(frozen=True, kw_only=True)
class JudgeJob:
    """One submission to judge: what to grade, with which course, and where to write."""

    course_dir: Path
    homework: str  # the id of the homework graded, which the report names
    exercises: tuple[Exercise, ...]  # of that homework
    submission: Path  # the private snapshot of the student's files
    seed_material: str  # the submission's digest: seeds repeat for the same files
    timeout_s: float
    hidden: bool  # also run the hidden checks (instructor grading)
    work: Path  # a private folder for the raw report and the judge's log
    start_method: str | None = None
    language: str = i18n.DEFAULT_LANGUAGE  # of every text the judge writes for the student

    @property
    def raw_path(self) -> Path:
        return self.work / "raw.json"

    @property
    def log_path(self) -> Path:
        return self.work / "judge.log"

    @property
    def time_bound(self) -> float:
        return judge_time_bound(self.timeout_s, len(self.exercises))

    def arguments(self, *, zygote_fd: int | None = None) -> list[str]:
        """pytest's arguments for a judge in an interpreter of its own (``run_subprocess``)."""
        options = [
            f"--submission={self.submission}",
            f"--seed-material={self.seed_material}",
            f"--request-timeout={self.timeout_s}",
            f"--json-report-file={self.raw_path}",
            *self._kind_options(),
        ]
        if zygote_fd is not None:
            options.append(f"--zygote-fd={zygote_fd}")
        return _pytest_arguments(course_dir=self.course_dir, exercises=self.exercises, options=options)

    @property
    def server_key(self) -> tuple[object, ...]:
        """What a judge server fixes for every judge it forks (grader/judge/server.py)."""
        exercises = tuple(exercise.id for exercise in self.exercises)
        return (str(self.course_dir), self.homework, exercises, self.hidden, self.language, self.start_method)

    def server_arguments(self) -> list[str]:
        """pytest's arguments for a judge server of this kind of job; ``{fd}`` stands for its
        control socket."""
        options = ["--json-report-file=none", "--serve-fd={fd}", *self._kind_options()]
        return _pytest_arguments(course_dir=self.course_dir, exercises=self.exercises, options=options)

    def _kind_options(self) -> list[str]:
        """The options a judge server shares with every judge it forks (``server_key``)."""
        options = [f"--language={self.language}", "--json-report"]
        if self.hidden:
            options.append("--hidden")
        if self.start_method:
            options.append(f"--start-method={self.start_method}")
        return options

    def request(self) -> JudgeRequest:
        """What a judge server needs besides its own arguments to judge this job."""
        return JudgeRequest(
            submission=self.submission,
            seed_material=self.seed_material,
            timeout_s=self.timeout_s,
            work=self.work,
            raw_path=self.raw_path,
            log_path=self.log_path,
            environment=judge_environment(os.environ),
        )


def _pytest_arguments(*, course_dir: Path, exercises: tuple[Exercise, ...], options: list[str]) -> list[str]:
    return [
        "-c",
        str(settings.JUDGE_INI_PATH),
        "--rootdir",
        str(course_dir),
        "--noconftest",
        "--disable-plugin-autoload",
        "-p",
        "no:cacheprovider",
        # Both end a session with gc.collect(), five times: slow over torch's heap, and the
        # judge has no use for their warnings.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        # Per-check work the judge has no use for: log capture (a handler added and removed
        # around every phase of every check), warnings caught around each phase, output
        # capture (nothing a check prints is feedback), doctests, JUnit XML, pastebin, stepwise.
        "-p",
        "no:logging",
        "-p",
        "no:warnings",
        "-p",
        "no:capture",
        "-p",
        "no:doctest",
        "-p",
        "no:junitxml",
        "-p",
        "no:pastebin",
        "-p",
        "no:stepwise",
        "-p",
        "pytest_jsonreport.plugin",
        "-p",
        "grader.judge.plugin",
        # Parts of pytest-json-report's record of each check that no report reads: Python log
        # records (another handler around every phase), output streams and keywords.
        "--json-report-omit",
        "log",
        "streams",
        "keywords",
        "-q",
        "--no-header",
        "-rN",
        "--tb=no",  # feedback comes from the plugin; tracebacks of failures cost ~50 ms each
        "--assert=plain",  # checks raise their own failures: no assertion rewriting to compile
        f"--course={course_dir}",
        *options,
        *(str(exercise.directory) for exercise in exercises),
    ]


def judge_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment a judge runs in: nothing of the caller's pytest or Python settings."""
    env = {k: v for k, v in base.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


@dataclass(frozen=True, kw_only=True)
class JudgeRun:
    """How a judge ended: its exit status (None when stopped past its time bound), the raw
    pytest-json-report it wrote, and the end of its log."""

    returncode: int | None
    raw: dict[str, Any] | None
    log: str
    time_bound: float
    not_run: str = ""  # why no judge ran at all (a cluster that failed)

    @property
    def completed(self) -> bool:
        return self.returncode in settings.JUDGE_GRADED_EXITS and self.raw is not None

    @property
    def error(self) -> str | None:
        """Why the report is incomplete, for the report's ``error``; None when it is whole."""
        if self.completed:
            return None
        if self.not_run:
            return self.not_run
        if self.returncode is None:
            return f"the judge ran past {self.time_bound:g} s and was stopped:\n{self.log}"
        return f"the judge stopped with status {self.returncode}:\n{self.log}"


def finished(job: JudgeJob, returncode: int | None) -> JudgeRun:
    """Read what an ended judge left in its work folder (whichever launcher ran it)."""
    try:
        raw = json.loads(job.raw_path.read_text())
    except (OSError, ValueError):
        raw = None
    try:
        log = job.log_path.read_text(errors="replace")[-3000:]
    except OSError:
        log = ""
    return JudgeRun(
        returncode=returncode, raw=raw if isinstance(raw, dict) else None, log=log, time_bound=job.time_bound
    )


def report_of(
    job: JudgeJob, run: JudgeRun, *, submission: Submission, created: str, duration_s: float
) -> Report:
    return build_report(
        raw=run.raw,
        homework=job.homework,
        exercises=job.exercises,
        submission=submission,
        created=created,
        duration_s=duration_s,
        error=run.error,
        course_dir=job.course_dir,
        language=job.language,
    )


# --- launcher 1: a fresh interpreter (grade submit; a Dask worker) ----------------------------


def run_subprocess(job: JudgeJob, *, zygote: Zygote | None = None) -> JudgeRun:
    """Run the judge as ``python -I -m pytest``; with a ``zygote`` already warming, hand over its
    control socket."""
    passed = () if zygote is None else (zygote.control.fileno(),)
    command = [sys.executable, "-I", "-m", "pytest", *job.arguments(zygote_fd=passed[0] if passed else None)]
    with job.log_path.open("wb") as log:
        try:
            done = subprocess.run(
                command,
                cwd=job.work,
                env=judge_environment(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=job.time_bound,
                check=False,
                pass_fds=passed,
            )
        except subprocess.TimeoutExpired:
            return finished(job, None)
    return finished(job, done.returncode)


# --- launcher 2: a fork of a warm parent (grade batch) ----------------------------------------


def prepare_warm_parent() -> None:
    """Import, once, what every forked judge needs, computing nothing (forking stays safe)."""
    silence_missing_numpy()
    import pytest  # noqa: F401
    import pytest_jsonreport.plugin  # noqa: F401
    import torch  # noqa: F401
    from _pytest.config import default_plugins

    import grader.judge.plugin  # noqa: F401

    # pytest imports its built-in plugins in every judge unless the parent has them.
    for name in default_plugins:
        with contextlib.suppress(ImportError):
            importlib.import_module(f"_pytest.{name}")


class WarmParent:
    """Launcher 2 for one submission after another: a zygote started once, this process
    prepared once, and for each kind of grading a judge server that configured pytest and
    collected the checks once (grader/judge/server.py). Each grade is a judge forked from
    that server: no interpreter, torch or pytest to start, no checks to collect.

    ``grade submit --watch`` re-grades with it on every save, ``grade batch`` runs several of
    its judges side by side, a Dask worker keeps one, and the scenario tests grade with it.
    Neither this process nor its servers run student code or compute before they fork.
    """

    def __init__(self, *, course_dir: Path, homework: str | None = None) -> None:
        """``homework``: the one whose facts are read ahead (default: every homework's)."""
        self.zygote = Zygote.start(protected=protected_paths(course_dir), huge_pages=True)
        # A Dask worker runs tasks on several threads; the zygote's control socket is one.
        self._zygote_lock = threading.Lock()
        self._servers_lock = threading.Lock()
        self._servers: dict[tuple[object, ...], JudgeServer] = {}
        self._judges: dict[int, JudgeServer] = {}
        # Private zygotes, by language: lent to a judge, reset and kept for the next one when
        # it ends (a fork and teardown of a torch process saved per submission).
        self._spare_zygotes: dict[str | None, list[tuple[Zygote, int]]] = {}  # with its reset's token
        self._lent_zygotes: dict[int, tuple[str | None, Zygote]] = {}
        self._resets = itertools.count(1)
        self._work = Path(tempfile.mkdtemp(prefix="grader-warm-"))
        prepare_warm_parent()
        # Read once here, found in memory by every judge forked from here (about 10 ms an
        # exercise's configuration). Reading facts deserialises tensors: no parallel CPU op,
        # so forking stays safe.
        from grader.course import Course
        from grader.facts import preload

        course = Course.load(course_dir)
        chosen = course.homework(homework).exercises if homework else course.exercises
        preload(course, chosen, settings.default_facts_cache())
        # What every fork shares stays shared: the collector never writes to these objects
        # again (gc.freeze), so forked judges copy fewer pages. (Huge pages are the judge
        # servers': this process forks one a kind of grading, they fork one a submission.)
        gc.collect()
        gc.freeze()

    def start(self, job: JudgeJob) -> int:
        """Fork a judge for ``job``, with a private zygote of its own while it runs; its pid
        (read its end with ``poll``)."""
        server = self._server(job)
        try:
            return self._start_on(server, job)
        except RuntimeError:
            if not server.gone:
                raise
        # The server ended since its last judge (killed, or it failed): a new one, once.
        return self._start_on(self._server(job), job)

    def _start_on(self, server: JudgeServer, job: JudgeJob) -> int:
        zygote = self._borrow_zygote(job.language)
        try:
            pid = server.start(job.request(), zygote_fd=zygote.control.fileno())
        except BaseException:
            zygote.close()  # it ends: every other copy went with the failed start
            raise
        self._judges[pid] = server
        self._lent_zygotes[pid] = (job.language, zygote)
        return pid

    def _borrow_zygote(self, language: str | None) -> Zygote:
        """A spare private zygote whose reset is done, else a new one. One that does not
        answer its reset in time (busy with what a killed judge asked) is closed, and ends."""
        with self._zygote_lock:
            spare = self._spare_zygotes.get(language, [])
            while spare:
                zygote, token = spare.pop()
                if zygote.end_reset(token, timeout=settings.ZYGOTE_RESET_S):
                    return zygote
                zygote.close()
            return Zygote.attach(self.zygote.fork(language=language))

    def _give_back_zygote(self, pid: int) -> None:
        """Judge ``pid`` ended: its private zygote starts ending what the judge started, and
        is kept for the next judge (which reads the reset's answer)."""
        language, zygote = self._lent_zygotes.pop(pid)
        token = next(self._resets)
        if zygote.begin_reset(token):
            with self._zygote_lock:
                self._spare_zygotes.setdefault(language, []).append((zygote, token))
        else:
            zygote.close()

    def poll(self, pid: int) -> int | None:
        """Judge ``pid``'s exit status once it ended, else None."""
        status = self._judges[pid].poll(pid)
        if status is None:
            return None
        del self._judges[pid]
        self._give_back_zygote(pid)
        return -signal.SIGKILL if status == SERVER_GONE else exit_code(status)

    def wait(self, timeout: float) -> None:
        """Until a server may have news of a judge (its socket is readable), at most
        ``timeout`` seconds: a finished judge's slot is refilled at once, not at the next tick."""
        controls = [server.control for server in self._servers.values() if not server.gone]
        if controls:
            select.select(controls, [], [], timeout)
        else:
            time.sleep(timeout)

    def stop(self, pid: int) -> int:
        """Kill judge ``pid`` and everything in its process group; its exit status."""
        stop_judge(pid)
        while (status := self.poll(pid)) is None:
            time.sleep(0.002)
        return status

    def run(self, job: JudgeJob) -> JudgeRun:
        """Judge ``job`` in a forked judge and wait for it; stopped past its time bound."""
        pid = self.start(job)
        deadline = time.monotonic() + job.time_bound
        try:
            while True:
                status = self.poll(pid)
                if status is not None:
                    return finished(job, status)
                if time.monotonic() > deadline:
                    self.stop(pid)
                    return finished(job, None)
                time.sleep(0.002)
        except BaseException:
            if pid in self._judges:  # Ctrl-C, or the caller's own failure: no judge outlives it
                self.stop(pid)
            raise

    def close(self) -> None:
        # Servers first: each holds a copy of the zygote's control socket.
        for server in self._servers.values():
            server.close()
        self._servers.clear()
        # Then the private zygotes, which end when the last copy of their socket closes.
        lent = [zygote for _language, zygote in self._lent_zygotes.values()]
        spare = [zygote for kept in self._spare_zygotes.values() for zygote, _token in kept]
        for zygote in lent + spare:
            zygote.close()
        self._lent_zygotes.clear()
        self._spare_zygotes.clear()
        self.zygote.close()
        shutil.rmtree(self._work, ignore_errors=True)

    def _server(self, job: JudgeJob) -> JudgeServer:
        with self._servers_lock:
            server = self._servers.get(job.server_key)
            if server is not None and server.gone:  # it failed: its judges were stopped
                server.close()
                server = None
            if server is None:
                log = self._work / f"server-{len(self._servers)}.log"
                server = JudgeServer.fork(
                    arguments=job.server_arguments(), environment=judge_environment(os.environ), log=log
                )
                self._servers[job.server_key] = server
            return server


def stop_judge(pid: int) -> None:
    """Kill a forked judge and everything in its process group."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def exit_code(wait_status: int) -> int:
    """A reaped judge's exit status; a judge killed by a signal did not complete."""
    return os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else -os.WTERMSIG(wait_status)


# --- the checks, without running them ---------------------------------------------------------


def collect_checks(*, course_dir: Path, exercises: tuple[Exercise, ...]) -> list[CollectedCheck]:
    """The checks with their points, as the judge would run them (no torch needed)."""
    with tempfile.TemporaryDirectory(prefix="grader-collect-") as work:
        target = Path(work) / "checks.json"
        arguments = _pytest_arguments(
            course_dir=course_dir,
            exercises=exercises,
            options=["--collect-only", f"--collect-json={target}"],
        )
        done = subprocess.run(
            [sys.executable, "-I", "-m", "pytest", *arguments],
            cwd=work,
            env=judge_environment(os.environ),
            capture_output=True,
            check=False,
        )
        if not target.is_file():
            log = (done.stdout + done.stderr).decode(errors="replace")
            raise RuntimeError(f"collecting the checks failed:\n{log[-3000:]}")
        return [CollectedCheck.from_json(item) for item in json.loads(target.read_text())]
