"""The grader's pytest plugin: fixtures that hand checks the student and the reference.

Loaded explicitly with ``-p grader.judge.plugin`` (never auto-loaded into other
pytest runs). It forks the warm zygote before anything computes on the CPU,
gives each check a ``student`` and a ``reference``, and records each check's
points, feedback and notes in pytest-json-report's per-test metadata.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from grader import __version__, i18n, settings
from grader.checks.feedback import CheckFailed
from grader.checks.hints import for_failure
from grader.course import Course, Exercise
from grader.facts import FactsStore, preload
from grader.failures import FailureKind
from grader.judge.launch import protected_paths
from grader.judge.server import JudgeRequest, serve
from grader.judge.session import JudgeSession, Reference, Student
from grader.report.record import CheckRecord, CollectedCheck, Feedback
from grader.sandbox.client import Launcher, SubmissionFailed, default_launcher

_SESSION = pytest.StashKey[JudgeSession]()
_COURSE = pytest.StashKey[Course]()
_FEEDBACK = pytest.StashKey[Feedback]()
_SKIP_REASON = pytest.StashKey[str]()
_EXIT_STATUS = pytest.StashKey[int]()
#: The exercises in the order their checks run.
_EXERCISE_ORDER = pytest.StashKey[list[Exercise]]()
#: A check's exercise, and the check as a report names it.
_ITEM_EXERCISE = pytest.StashKey[Exercise]()
_ITEM_COLLECTED = pytest.StashKey[CollectedCheck]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--submission", type=Path, help="the submission folder to grade")
    group.addoption("--course", type=Path, default=settings.DEFAULT_COURSE_DIR)
    group.addoption("--request-timeout", type=float, default=settings.REQUEST_TIMEOUT_S)
    group.addoption("--memory-bytes", type=int, default=settings.CHILD_MEMORY_BYTES)
    group.addoption("--seed-material", default="", help="mixed into the submission's seeds")
    group.addoption("--facts-cache", default=None, help="folder of stored reference facts ('' for none)")
    group.addoption("--start-method", choices=("fork", "spawn"), default=None)
    group.addoption("--zygote-fd", type=int, default=None, help="control socket of a started zygote")
    group.addoption("--serve-fd", type=int, default=None, help="serve judges (grader/judge/server.py)")
    group.addoption("--collect-json", type=Path, help="write the collected checks and points here")
    group.addoption("--hidden", action="store_true", help="also run the hidden checks (needs the reference)")
    group.addoption("--language", choices=i18n.LANGUAGES, default=i18n.DEFAULT_LANGUAGE)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_COURSE] = Course.load(config.getoption("course").resolve())
    i18n.activate(config.getoption("language"), config.stash[_COURSE].directory)
    submission = config.getoption("submission")
    if submission is None:
        return
    _open_session(
        config,
        submission=submission,
        seed_material=config.getoption("seed_material"),
        timeout_s=config.getoption("request_timeout"),
        zygote_fd=config.getoption("zygote_fd"),
    )


def _open_session(
    config: pytest.Config, *, submission: Path, seed_material: str, timeout_s: float, zygote_fd: int | None
) -> JudgeSession:
    # Started first, so the zygote warms up while this process imports torch.
    launcher = default_launcher(
        config.getoption("start_method"),
        zygote_fd=zygote_fd,
        protected=protected_paths(config.stash[_COURSE].directory),
    )
    import torch

    device = "cuda" if torch.cuda.is_available() else "meta"
    session = config.stash[_SESSION] = JudgeSession(
        course=config.stash[_COURSE],
        submission=submission.resolve(),
        launcher=launcher,
        device=device,
        seed_material=seed_material,
        facts_seed=settings.facts_seed(),
        facts_store=FactsStore(_facts_cache(config.getoption("facts_cache"))),
        timeout_s=timeout_s,
        memory_bytes=config.getoption("memory_bytes"),
    )
    config.pluginmanager.register(_EnvironmentRecorder(device, launcher), "grader-environment")
    return session


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """A judge server (grader/judge/server.py) serves here, with the checks collected; each
    judge it forks returns from here as a judge of one submission, into pytest's own loop."""
    config = session.config
    control_fd = config.getoption("serve_fd")
    if control_fd is not None:
        store = _facts_cache(config.getoption("facts_cache"))
        refresh = _FactsRefresh(config.stash[_COURSE], tuple(config.stash.get(_EXERCISE_ORDER, [])), store)
        serve(control_fd, lambda request, zygote_fd: _become_judge(config, request, zygote_fd), refresh)


class _FactsRefresh:
    """A judge server re-reads the stored facts whenever the store changed: the first judges
    of a new grader or course compute them, and every judge after finds them in memory
    instead of reading them from disk (the warm parent read what was there when it started)."""

    def __init__(self, course: Course, exercises: tuple[Exercise, ...], store: Path | None) -> None:
        self.course = course
        self.exercises = exercises
        self.store = store
        self.seen: int | None = None

    def __call__(self) -> None:
        if self.store is None:
            return
        try:
            changed = self.store.stat().st_mtime_ns
        except OSError:
            return
        if changed != self.seen:
            self.seen = changed
            preload(self.course, self.exercises, self.store)


def _become_judge(config: pytest.Config, request: JudgeRequest, zygote_fd: int) -> None:
    import torch

    # A warm parent that computed on the CPU before forking (a test, a notebook) left an
    # OpenMP pool this fork cannot use: one thread never enters it. Judges run side by side,
    # one per core, so one thread each is what they would get anyway.
    torch.set_num_threads(1)
    config.option.json_report_file = str(request.raw_path)
    report = getattr(config, "_json_report", None)
    if report is not None:
        report._start_time = time.time()
    session = _open_session(
        config,
        submission=request.submission,
        seed_material=request.seed_material,
        timeout_s=request.timeout_s,
        zygote_fd=zygote_fd,
    )
    _prestart_first(config, session)


def _prestart_first(config: pytest.Config, session: JudgeSession) -> None:
    """Start the first exercise's child ahead of its checks: while pytest finishes collecting
    (a judge of its own), or as a server's fork becomes a judge."""
    order = config.stash.get(_EXERCISE_ORDER, [])
    if order:
        session.prestart(order[0])


def _facts_cache(option: str | None) -> Path | None:
    if option is None:
        return settings.default_facts_cache()
    return Path(option) if option else None


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # Checks run exercise by exercise: once an exercise's last check ran, its child serves the
    # next exercise, or, where it is not handed over, the next one's child starts setting up.
    session = item.config.stash.get(_SESSION, None)
    exercise = _exercise(item)
    if session is None or (nextitem is not None and _exercise(nextitem) == exercise):
        return
    if not session.close_exercise(exercise) and nextitem is not None:
        session.prestart(_exercise(nextitem))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None:
        return
    session.close()
    session.launcher.close()
    # The report is written; skip the interpreter's slow teardown of torch.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash.get(_EXIT_STATUS, 3))


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # Before a judge server forks: its judges inherit the faster save.
    report = getattr(session.config, "_json_report", None)
    if report is not None:
        report.save_report = lambda path: _save_raw_report(report, Path(path))


def _save_raw_report(plugin: Any, path: Path) -> None:
    """pytest-json-report's ``save_report`` in one call of json's C encoder: its ``json.dump``
    goes through the pure-Python one (about 5 ms a judge). The same text."""
    text = json.dumps(plugin.report, default=str, indent=plugin._config.option.json_report_indent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def _exercise(item: pytest.Item) -> Exercise:
    # Asked several times a phase of every check: kept on the item, which a judge server's
    # judges inherit.
    if _ITEM_EXERCISE not in item.stash:
        item.stash[_ITEM_EXERCISE] = item.config.stash[_COURSE].exercise(Path(item.path).parent.name)
    return item.stash[_ITEM_EXERCISE]


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 0.0


def _check_name(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or item.name).strip().splitlines()[0].strip()
    doc = i18n._(doc).rstrip(".")
    callspec = getattr(item, "callspec", None)
    return f"{doc} [{callspec.id}]" if callspec else doc


def _hidden(item: pytest.Item) -> bool:
    return item.get_closest_marker("hidden") is not None


def _collected(item: pytest.Item) -> CollectedCheck:
    if _ITEM_COLLECTED not in item.stash:  # a judge's language is its server's
        item.stash[_ITEM_COLLECTED] = CollectedCheck(
            exercise=_exercise(item).id,
            id=item.name.removeprefix("test_"),
            name=_check_name(item),
            points=_points(item),
            hidden=_hidden(item),
        )
    return item.stash[_ITEM_COLLECTED]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unpointed = [item.nodeid for item in items if item.get_closest_marker("points") is None]
    if unpointed:
        raise pytest.UsageError(f"checks without @pytest.mark.points: {', '.join(unpointed)}")
    course = config.stash[_COURSE]
    for item in filter(_hidden, items):
        if not (config.getoption("hidden") and course.homework_of(_exercise(item)).has_reference):
            item.add_marker(pytest.mark.skip(reason=settings.HIDDEN_CHECK_SKIPPED.format(_points(item))))
    order: list[Exercise] = []
    for item in items:
        _collected(item)
        if _exercise(item) not in order:
            order.append(_exercise(item))
    config.stash[_EXERCISE_ORDER] = order
    session = config.stash.get(_SESSION, None)
    if session is not None:
        _prestart_first(config, session)
    target = config.getoption("collect_json")
    if target is not None:
        target.write_text(json.dumps([_collected(item).to_json() for item in items]))


# The check being set up, whose exercise the fixtures below are for. Not asked of pytest's
# ``request``: each fixture taking it costs pytest a fixture definition and a signature
# inspection, several per check.
_SETTING_UP: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _SETTING_UP[:] = [item]


@pytest.fixture
def student() -> Student:
    """The student's builder for this check's exercise, behind its sandbox."""
    (item,) = _SETTING_UP
    session = item.config.stash.get(_SESSION, None)
    if session is None:
        raise pytest.UsageError("grading needs --submission")
    return Student(session=session, exercise=_exercise(item))


@pytest.fixture
def reference() -> Reference:
    """The reference's facts for this check's exercise."""
    (item,) = _SETTING_UP
    return Reference(session=item.config.stash[_SESSION], exercise=_exercise(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Decided before pytest-json-report asks for the metadata in its own hook.
    if call.excinfo is not None and call.when == "call":
        item.stash[_FEEDBACK] = _feedback(
            call.excinfo.value, exercise=_exercise(item), check_file=Path(item.path)
        )
    elif call.excinfo is not None and call.when == "setup":
        if call.excinfo.errisinstance(pytest.skip.Exception):
            item.stash[_SKIP_REASON] = str(call.excinfo.value)
        else:
            item.stash[_FEEDBACK] = Feedback(
                failure=FailureKind.GRADER_BUG,
                message=f"the grader could not set up this check: {call.excinfo.value}",
            )
    return (yield)


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_failed(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    """A check that failed with feedback (a verdict, the student's code failing, a plain
    assert) is reported as such, without pytest formatting a traceback nobody reads (about
    3 ms a failed check, a dozen of them in a submission with mistakes). The grader's own
    failures keep pytest's report, whose crash message the score report quotes.

    Named ``pytest_*`` because pytest registers no other name; ``specname`` makes it the
    ``pytest_runtest_makereport`` hook, beside the wrapper above."""
    feedback = item.stash.get(_FEEDBACK, None)
    if call.when != "call" or call.excinfo is None or feedback is None:
        return None
    if feedback.failure is FailureKind.GRADER_BUG:
        return None
    error = call.excinfo.value
    return pytest.TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "failed",
        f"{type(error).__name__}: {error}",
        "call",
        sections=[(f"Captured {key} {when}", content) for when, key, content in item._report_sections],
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=item.user_properties,
    )


def _feedback(error: BaseException, *, exercise: Exercise, check_file: Path) -> Feedback:
    """A check's exception as feedback: the check's own verdict, a failure of the student's
    code, an instructor's plain ``assert``, or the grader's own bug."""
    if isinstance(error, CheckFailed):
        return error.feedback
    if isinstance(error, AssertionError) and _raised_in(error, check_file):
        # A plain assert in the checks file, as in Otter or gradescope-utils: the student's
        # failure, with the instructor's message, else the condition as written.
        frame = traceback.extract_tb(error.__traceback__)[-1]
        condition = (frame.line or "").strip()
        return Feedback(
            failure=FailureKind.CHECK_FAILED,
            message=str(error)
            or i18n._("the check's condition does not hold: {condition}").format(condition=condition),
        )
    if isinstance(error, SubmissionFailed):
        failure = error.failure
        return Feedback(
            failure=failure.kind,
            message=failure.message,
            hints=tuple(for_failure(failure, exercise=exercise)),
            output=failure.output,
            traceback=failure.traceback,
        )
    # pytest runs with --tb=no; the judge's log keeps the traceback for the grader's authors.
    traceback.print_exception(error, file=sys.stderr)
    return Feedback(
        failure=FailureKind.GRADER_BUG,
        message=f"the grader itself failed in this check: {type(error).__name__}: {error}",
    )


def _raised_in(error: BaseException, check_file: Path) -> bool:
    """Whether ``error`` was raised by a statement of the checks file itself."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve() == check_file.resolve()


@pytest.hookimpl(optionalhook=True)
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo[None]) -> dict[str, Any]:
    # Asked after each phase; the record is whole after the last one, which always runs.
    if call.when != "teardown":
        return {}
    student = getattr(item, "funcargs", {}).get("student")
    record = CheckRecord(
        check=_collected(item),
        feedback=item.stash.get(_FEEDBACK, None),
        skip_reason=item.stash.get(_SKIP_REASON, ""),
        notes=dict(student.notes) if isinstance(student, Student) else {},
    )
    return {"record": record.to_json()}


class _EnvironmentRecorder:
    """Adds what the judge knows of its environment to the raw report."""

    def __init__(self, device: str, launcher: Launcher) -> None:
        self.device = device
        self.launcher = launcher

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_modifyreport(self, json_report: dict[str, Any]) -> None:
        import torch

        json_report["grader"] = {
            "version": __version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": sys.platform,
            "device": self.device,
            "isolation": self.launcher.isolation(),
        }
