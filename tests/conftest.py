"""Shared fixtures of the grader's own tests."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from grader import settings
from grader.course import Course
from grader.judge.launch import collect_checks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def facts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache of reference facts, so the tests never read or write the user's."""
    cache = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(cache))
    yield cache
    patch.undo()


@dataclass(frozen=True)
class Points:
    """A homework's totals, as its checks give them: what tests compare with, never literals."""

    visible: float  # what a student's grade submit and Classroom offer
    hidden: float  # what the hidden checks add in instructor grading
    hidden_checks: int

    @property
    def total(self) -> float:
        return self.visible + self.hidden


def homework_points(homework: str, course_dir: Path = ROOT) -> Points:
    course = Course.load(course_dir)
    checks = collect_checks(course_dir=course_dir, exercises=course.homework(homework).exercises)
    hidden = [c for c in checks if c.hidden]
    return Points(
        visible=sum(c.points for c in checks if not c.hidden),
        hidden=sum(c.points for c in hidden),
        hidden_checks=len(hidden),
    )


@pytest.fixture(scope="session")
def blocks_points() -> Points:
    """The totals of the seed's homework, ``blocks``."""
    return homework_points("blocks")


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
