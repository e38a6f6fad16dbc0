"""Exercise descriptions, and turning raw pytest results into the score report."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import Course, CourseError, Exercise
from grader.report.from_pytest import build_report, check_from_test
from grader.report.model import CheckStatus, Submission
from tests.conftest import ROOT


def test_the_course_lists_the_seed_exercises_in_order() -> None:
    course = Course.load(ROOT)
    assert [e.id for e in course.exercises] == ["alexnet_block", "vgg_block", "inception", "residual"]
    inception = course.exercise("inception")
    assert inception.configuration("default").output_shape == (1, 256, 224, 224)
    assert [v.id for v in inception.variants] == ["seed", "paper"]


def test_a_malformed_exercise_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "lenet"
    folder.mkdir()
    (folder / "exercise.toml").write_text('id = "lenet"\ntitle = "x"\n')
    with pytest.raises(CourseError, match="malformed"):
        Exercise.load(folder)
    (folder / "exercise.toml").write_text("id = [\n")
    with pytest.raises(CourseError, match="cannot read"):
        Exercise.load(folder)


def _test(outcome: str, feedback: dict | None, points: float = 2.0) -> dict:
    return {
        "nodeid": "assignments/vgg_block/test_vgg_block.py::test_behaviour",
        "outcome": outcome,
        "metadata": {
            "exercise": "vgg_block",
            "check": "behaviour",
            "name": "Behaviour",
            "points": points,
            "feedback": feedback,
            "notes": {"variant": "seed"} if outcome == "passed" else {},
        },
        "setup": {"duration": 0.01, "outcome": "passed"},
        "call": {"duration": 0.02, "outcome": outcome, "crash": {"message": "KeyError: 'x'"}},
    }


def test_statuses_separate_student_failures_from_grader_errors() -> None:
    assert check_from_test(_test("passed", None)).status is CheckStatus.PASSED
    failed = check_from_test(_test("failed", {"kind": "failed", "message": "wrong", "hints": ["try"]}))
    assert (failed.status, failed.score, failed.hints) == (CheckStatus.FAILED, 0.0, ("try",))
    broken = check_from_test(_test("failed", None))
    assert broken.status is CheckStatus.ERROR
    assert "KeyError" in broken.message
    assert check_from_test(_test("error", None)).status is CheckStatus.ERROR


def test_report_totals_and_variant(validate_report) -> None:
    course = Course.load(ROOT)
    raw = {
        "tests": [_test("passed", None), _test("failed", {"kind": "failed", "message": "no"}, 3.0)],
        "grader": {"python": "3.11", "torch": "2.13.0", "device": "meta", "platform": "linux"},
    }
    report = build_report(
        raw=raw,
        exercises=course.select(["vgg_block"]),
        submission=Submission(path="/s", sha256="0" * 64, files=("vgg_block.py",)),
        created="2026-11-28T00:00:00+00:00",
        duration_s=1.0,
    )
    assert (report.score, report.max_score) == (2.0, 5.0)
    assert report.assignments[0].variant == "seed"
    validate_report(report.to_dict())


def test_a_judge_that_wrote_nothing_gives_an_error_report(validate_report) -> None:
    course = Course.load(ROOT)
    report = build_report(
        raw=None,
        exercises=course.exercises,
        submission=Submission(path="/s", sha256="0" * 64, files=()),
        created="2026-11-28T00:00:00+00:00",
        duration_s=1.0,
        error="the judge stopped",
    )
    assert report.error == "the judge stopped"
    assert report.score == 0
    validate_report(report.to_dict())


def test_the_schema_names_every_isolation_layer(report_schema: dict) -> None:
    from grader.sandbox.isolation import ALL_LAYERS

    assert tuple(report_schema["$defs"]["layer"]["enum"]) == ALL_LAYERS
