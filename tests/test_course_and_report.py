"""Exercise descriptions, and turning raw pytest results into the score report."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import Course, CourseError, Exercise
from grader.failures import FailureKind
from grader.report.from_pytest import build_report, check_from_test
from grader.report.model import CheckStatus, Submission
from grader.report.record import CheckRecord, CollectedCheck, Feedback, RecordError
from tests.conftest import ROOT


def test_the_course_lists_the_seed_exercises_in_order() -> None:
    course = Course.load(ROOT)
    blocks = course.homework("blocks")
    assert [e.id for e in blocks.exercises] == ["alexnet_block", "vgg_block", "inception", "residual"]
    assert blocks.reference_dir == ROOT / "reference" / "blocks"
    assert blocks.template_dir == ROOT / "student_template" / "blocks"
    inception = course.exercise("inception")
    assert inception.configuration("default").output_shape == (1, 256, 224, 224)
    assert [v.id for v in inception.variants] == ["seed", "paper"]


def test_a_malformed_exercise_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "lenet"
    folder.mkdir()
    (folder / "exercise.toml").write_text('id = "lenet"\ntitle = "x"\n')
    with pytest.raises(CourseError, match="malformed"):
        Exercise.load(folder, homework="h")
    (folder / "exercise.toml").write_text("id = [\n")
    with pytest.raises(CourseError, match="cannot read"):
        Exercise.load(folder, homework="h")


def _test(outcome: str, feedback: Feedback | None, points: float = 2.0) -> dict:
    """A raw test entry as pytest-json-report writes it, with the judge's record."""
    record = CheckRecord(
        check=CollectedCheck(
            exercise="vgg_block", id="behaviour", name="Behaviour", points=points, hidden=False
        ),
        feedback=feedback,
        notes={"variant": "seed"} if outcome == "passed" else {},
    )
    return {
        "nodeid": "assignments/blocks/vgg_block/test_vgg_block.py::test_behaviour",
        "outcome": outcome,
        "metadata": {"record": record.to_json()},
        "setup": {"duration": 0.01, "outcome": "passed"},
        "call": {"duration": 0.02, "outcome": outcome, "crash": {"message": "KeyError: 'x'"}},
    }


def _result(test: dict):
    found = check_from_test(test)
    assert found is not None and found[0] == "vgg_block"
    return found[1]


def test_statuses_separate_student_failures_from_grader_errors() -> None:
    assert _result(_test("passed", None)).status is CheckStatus.PASSED
    wrong = Feedback(failure=FailureKind.CHECK_FAILED, message="wrong", hints=("try",))
    failed = _result(_test("failed", wrong))
    assert (failed.status, failed.score, failed.hints) == (CheckStatus.FAILED, 0.0, ("try",))
    assert failed.failure is FailureKind.CHECK_FAILED
    timeout = _result(_test("failed", Feedback(failure=FailureKind.TIMEOUT, message="stopped")))
    assert (timeout.status, timeout.failure) == (CheckStatus.FAILED, FailureKind.TIMEOUT)
    sandbox = _result(_test("failed", Feedback(failure=FailureKind.SANDBOX_SETUP, message="no sandbox")))
    assert sandbox.status is CheckStatus.ERROR
    broken = _result(_test("failed", None))
    assert (broken.status, broken.failure) == (CheckStatus.ERROR, FailureKind.GRADER_BUG)
    assert "KeyError" in broken.message
    assert _result(_test("error", None)).status is CheckStatus.ERROR


def test_a_record_of_another_shape_is_refused() -> None:
    entry = _test("failed", Feedback(failure=FailureKind.CHECK_FAILED, message="wrong"))
    entry["metadata"]["record"]["feedback"]["failure"] = "died"
    with pytest.raises(RecordError):
        check_from_test(entry)
    assert check_from_test({"outcome": "passed", "metadata": {}}) is None


def test_report_totals_and_variant(validate_report) -> None:
    course = Course.load(ROOT)
    raw = {
        "tests": [
            _test("passed", None),
            _test("failed", Feedback(failure=FailureKind.CHECK_FAILED, message="no"), 3.0),
        ],
        "grader": {"python": "3.11", "torch": "2.13.0", "device": "meta", "platform": "linux"},
    }
    report = build_report(
        raw=raw,
        homework="blocks",
        exercises=course.select(["vgg_block"]),
        submission=Submission(path="/s", sha256="0" * 64, files=("vgg_block.py",)),
        created="2026-11-28T00:00:00+00:00",
        duration_s=1.0,
    )
    assert (report.score, report.max_score) == (2.0, 5.0)
    assert report.to_dict()["homework"] == "blocks"
    assert report.assignments[0].variant == "seed"
    validate_report(report.to_dict())


def test_a_judge_that_wrote_nothing_gives_an_error_report(validate_report) -> None:
    course = Course.load(ROOT)
    report = build_report(
        raw=None,
        homework="blocks",
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


def test_the_schema_names_every_failure_kind(report_schema: dict) -> None:
    kinds = report_schema["$defs"]["check"]["properties"]["failure"]["enum"]
    assert kinds == [*(kind.value for kind in FailureKind), None]
