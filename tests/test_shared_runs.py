"""The shape check confirms a shape with the behaviour check's first run: one request to the
student's child serves both checks, and a network's large weights are not sent for a shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import settings
from grader.checks import behaviour, shapes
from grader.course import Course
from grader.facts import FactsStore
from grader.judge.session import JudgeSession, Reference, Student
from grader.sandbox.client import Sandbox, SpawnLauncher
from tests.conftest import ROOT

ANSWER = ROOT / "tests" / "scenarios" / "seed_answers" / "submission"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The runs asked of the student's child: their options."""
    runs: list[dict[str, Any]] = []
    run = Sandbox.run

    def recording(self: Sandbox, target: Any, inputs: Any, **options: Any) -> Any:
        if self.submission == ANSWER:
            runs.append(options)
        return run(self, target, inputs, **options)

    monkeypatch.setattr(Sandbox, "run", recording)
    return runs


@pytest.fixture
def checks(tmp_path: Path) -> Iterator[tuple[Student, Reference]]:
    course = Course.load(ROOT)
    session = JudgeSession(
        course=course,
        submission=ANSWER,
        launcher=SpawnLauncher(),  # this process computes: forking it is not safe
        device="meta",
        seed_material="shared runs",
        facts_store=FactsStore(tmp_path / "facts"),
    )
    exercise = course.exercise("residual")
    yield Student(session=session, exercise=exercise), Reference(session=session, exercise=exercise)
    session.close()


def test_the_shape_check_and_the_behaviour_check_share_one_run(
    checks: tuple[Student, Reference], asked: list[dict[str, Any]]
) -> None:
    student, reference = checks
    shapes.output_shape(student, reference)
    assert [bool(options.get("weights")) for options in asked] == [True]
    behaviour.matches_reference(student, reference)
    assert len(asked) == 1, "the behaviour check asked its first run again"
    assert student.notes["variant"] == reference.facts("default").variants[0].variant.id


def test_past_the_size_limit_the_shape_is_confirmed_with_zeroed_parameters(
    checks: tuple[Student, Reference], asked: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "MAX_SHARED_RUN_WEIGHT_BYTES", 0)
    student, reference = checks
    shapes.output_shape(student, reference)
    assert [(options.get("zeroed"), bool(options.get("weights"))) for options in asked] == [(True, False)]
    behaviour.matches_reference(student, reference)
    assert [bool(options.get("weights")) for options in asked] == [False, True]
