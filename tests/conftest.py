"""Shared fixtures of the grader's own tests."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from grader import i18n, settings
from grader.cli import main
from grader.course import Course
from grader.judge.launch import collect_checks
from grader.report.record import CollectedCheck

ROOT = Path(__file__).resolve().parent.parent

#: What a course is made of: its checks and descriptions, its solutions, its stubs.
COURSE_TREES = ("assignments", "reference", "student_template")


@pytest.fixture(scope="session", autouse=True)
def facts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache of reference facts, so the tests never read or write the user's."""
    cache = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(cache))
    yield cache
    patch.undo()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Every test starts in English, whatever the machine's locale or an earlier test chose;
    a test that grades in Korean says so."""
    i18n.activate("en")
    yield
    i18n.activate("en")


@dataclass(frozen=True)
class Points:
    """A homework's totals, as its checks give them: what tests compare with, never literals."""

    visible: float  # what a student's grade submit and Classroom offer
    hidden: float  # what the hidden checks add in instructor grading
    hidden_checks: int

    @property
    def total(self) -> float:
        return self.visible + self.hidden


def _points(checks: list[CollectedCheck]) -> Points:
    hidden = [c for c in checks if c.hidden]
    return Points(
        visible=sum(c.points for c in checks if not c.hidden),
        hidden=sum(c.points for c in hidden),
        hidden_checks=len(hidden),
    )


def _homework_checks(homework: str, course_dir: Path) -> list[CollectedCheck]:
    course = Course.load(course_dir)
    return collect_checks(course_dir=course_dir, exercises=course.homework(homework).exercises)


def homework_points(homework: str, course_dir: Path = ROOT) -> Points:
    return _points(_homework_checks(homework, course_dir))


def points_by_exercise(homework: str, course_dir: Path = ROOT) -> dict[str, Points]:
    """Each exercise's totals in ``homework``, in its order, from one collection of its checks."""
    checks = _homework_checks(homework, course_dir)
    exercises = dict.fromkeys(c.exercise for c in checks)
    return {e: _points([c for c in checks if c.exercise == e]) for e in exercises}


@pytest.fixture(scope="session")
def blocks_points() -> Points:
    """The totals of the seed's homework, ``blocks``."""
    return homework_points("blocks")


@pytest.fixture(scope="session")
def blocks_exercise_points() -> dict[str, Points]:
    """The totals of each exercise of ``blocks``."""
    return points_by_exercise("blocks")


@contextlib.contextmanager
def copied_course() -> Iterator[Path]:
    """A copy of this course to change, in a folder the sandbox's own uid can read (pytest's
    tmp_path is private to this one); removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="grader-course-"))
    try:
        folder.chmod(0o755)
        for name in COURSE_TREES:
            shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        yield folder
    finally:
        shutil.rmtree(folder)


def grade_command(course_dir: Path, *arguments: str) -> Result:
    """``grade`` with these arguments on the course in ``course_dir``, through click's runner."""
    return CliRunner().invoke(main, [*arguments, "--course", str(course_dir)])


@pytest.fixture(scope="session")
def report_schema() -> dict:
    return json.loads(settings.REPORT_SCHEMA_PATH.read_text())


@pytest.fixture(scope="session")
def validate_report(report_schema: dict):
    """Every report the tests produce is checked against the published schema."""
    validator = jsonschema.Draft202012Validator(
        report_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def validate(report: dict) -> dict:
        validator.validate(report)
        return report

    return validate


def github_outputs(path: Path) -> dict[str, dict]:
    """The base64 JSON outputs a grade step appended to $GITHUB_OUTPUT, decoded, by name."""
    outputs = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        outputs[name] = json.loads(base64.b64decode(value))
    return outputs


def survivors(word: str, seconds: float = 3.0) -> list[int]:
    """Processes (other than this one) whose command line holds ``word``, after giving them
    ``seconds`` to end."""

    def running() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                        if word.encode() in cmdline.read():
                            found.append(int(entry))
                except OSError:
                    continue
        return found

    deadline = time.monotonic() + seconds
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    return running()


def live_children(parent: int) -> set[int]:
    """The live (not zombie) children of process ``parent``, from /proc: a test cannot wait
    for what it did not start."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(entry))
    return found
