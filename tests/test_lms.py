"""The LMS import files: Canvas's gradebook CSV and Moodle's CSV grade import, from synthetic
results and fixtures shaped like the LMSs' own exports (tests/lms_fixtures/).

Canvas: "How do I import grades in the Gradebook?" (Canvas Instructor Guide). The import file
is Canvas's own export (Grades → Export → Export Entire Gradebook), edited: a header of
``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per assignment named
``Title (assignment id)`` and read-only totals (``Current Score``, ``Final Score``, …); a
second row ``    Points Possible`` (indented, as Canvas writes it) with each assignment's
points and ``(read only)`` under the totals; then one row per student, Canvas's "Student,
Test" among them. A column Canvas does not recognise creates a new assignment, and imported
scores overwrite the gradebook's: so the file keeps the identity columns and one assignment.

Moodle: "Grade import" (Moodle docs, CSV import). The teacher maps one column to users
("Map from" a column, "Map to" email address, ID number, username or user id) and each
other column to a grade item. Moodle's own export (Grades → Export → Plain text file) has
``First name, Last name, ID number, Institution, Department, Email address``, one column per
grade item as ``Module: Name (Real)``, ``Course total (Real)`` and ``Last downloaded from this
course``; an item without a grade is ``-``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.course import Course, Homework
from grader.errors import UsageError
from grader.lms import LmsOptions, LmsResult, plan_export, write_lms_import
from grader.report.gradebook import GRADED, INCOMPLETE, INVALID, MISSING, StudentResult
from grader.report.model import AssignmentResult, CheckResult, CheckStatus, Environment, Report, Submission
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "lms_fixtures"
CANVAS_EXPORT = FIXTURES / "canvas_gradebook_export.csv"
MOODLE_EXPORT = FIXTURES / "moodle_grades_export.csv"
#: GitHub Classroom's roster: its ``identifier`` is the students' LMS login (an email here).
CLASSROOM_ROSTER = FIXTURES / "classroom_roster.csv"
HOMEWORK_COLUMN = "Building blocks of the ImageNet winners (48213)"


def report_of(*assignments: AssignmentResult) -> Report:
    return Report(
        schema_version="1.4",
        grader_version="test",
        fingerprint="f",
        homework="blocks",
        created="2026-12-01T10:00:00+00:00",
        duration_s=1.0,
        submission=Submission(path="/s", sha256="0", files=()),
        environment=Environment(python="3.11", torch="2", device="meta", platform="linux"),
        assignments=assignments,
    )


def graded_report(scores: dict[str, tuple[float, float]]) -> Report:
    """A report whose exercises (id → (score, max)) each have one check, passed."""
    return report_of(
        *(
            AssignmentResult(
                id=exercise,
                title=exercise,
                variant=None,
                checks=(
                    CheckResult(
                        id=f"{exercise}_check",
                        name=f"{exercise} check",
                        status=CheckStatus.PASSED,
                        score=score,
                        max_score=maximum,
                        message="",
                        duration_s=0.1,
                    ),
                ),
            )
            for exercise, (score, maximum) in scores.items()
        )
    )


def graded(student: str, score: float, maximum: float = 40.0) -> StudentResult:
    return StudentResult(
        id=student, name="", status=GRADED, report=graded_report({"blocks": (score, maximum)})
    )


@pytest.fixture(scope="module")
def blocks() -> Homework:
    return Course.load(ROOT).choose_homework("blocks")


@pytest.fixture
def class_results() -> list[StudentResult]:
    """ada and grace graded; linus's zip broken; minjun's grading did not complete; katherine
    only on the GitHub roster; bob submitted but is in no LMS."""
    return [
        graded("ada", 36),
        graded("grace", 4.5),
        StudentResult(id="linus", name="", status=INVALID, reason="not a valid zip"),
        StudentResult(
            id="minjun",
            name="",
            status=INCOMPLETE,
            reason="the sandbox failed",
            report=graded_report({"blocks": (10, 40)}),
        ),
        StudentResult(id="katherine", name="", status=MISSING, reason="no submission"),
        graded("bob", 40),
    ]


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _export(
    options: LmsOptions, homework: Homework, results: list[StudentResult], out: Path
) -> tuple[LmsResult, list[list[str]]]:
    result = write_lms_import(plan_export(options, homework), results, out)
    return result, _rows(out / result.file)


def test_canvas_gets_its_identity_columns_and_the_homework_column_only(
    tmp_path: Path, blocks: Homework, class_results: list[StudentResult]
) -> None:
    options = LmsOptions(format="canvas", export=CANVAS_EXPORT, mapping=CLASSROOM_ROSTER)
    result, rows = _export(options, blocks, class_results, tmp_path)
    assert result.file == "canvas_import.csv"
    identity = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0] == [*identity, HOMEWORK_COLUMN], "no other assignment, no read-only total"
    assert rows[1] == ["    Points Possible", "", "", "", "", "40.00"], "Canvas's second row, as it was"
    assert rows[2:] == [
        ["Lovelace, Ada", "1101", "2024001", "ada.lovelace@uni.example.edu", "CS 4820 Section 01", "36"],
        ["Hopper, Grace", "1102", "2024002", "grace.hopper@uni.example.edu", "CS 4820 Section 01", "4.5"],
    ]
    assert result.exported == 2 and result.scaled is None
    assert result.unmatched_submissions == ("bob",)
    assert result.unmatched_students == (
        "Johnson, Katherine (katherine.johnson@uni.example.edu)",  # on the roster, no submission
    )
    assert {(n.id, n.status) for n in result.not_exported} == {("linus", INVALID), ("minjun", INCOMPLETE)}
    summary = result.to_dict()
    assert summary["unmatched_submissions"] == ["bob"]
    assert summary["not_exported"][0]["reason"] == "not a valid zip"


def test_canvas_matches_ids_directly_scales_to_its_points_and_names_columns(
    tmp_path: Path, blocks: Homework
) -> None:
    """Without a mapping the submission's id is the --lms-match column's value; another
    column is named by its title; a column's Points Possible differing from the homework's
    maximum scales the scores."""
    results = [graded("2024001", 36), graded("2024004", 20)]
    options = LmsOptions(format="canvas", export=CANVAS_EXPORT, match="SIS User ID", column="Quiz 1")
    result, rows = _export(options, blocks, results, tmp_path)
    assert rows[0][-1] == "Quiz 1 (48214)"
    assert [row[-1] for row in rows[1:]] == ["10.00", "9", "5"]  # 36/40 and 20/40 of 10 points
    assert result.scaled == (40.0, 10.0)
    assert result.unmatched_students == (
        "Hopper, Grace (2024002)",
        "Torvalds, Linus (2024003)",
        "김, 민준 (2024005)",
    ), "Canvas's test student is nobody's"


def test_canvas_refuses_what_would_create_an_assignment_or_cannot_match(
    tmp_path: Path, blocks: Homework
) -> None:
    with pytest.raises(UsageError, match="--lms-roster"):
        LmsOptions(format="canvas")
    with pytest.raises(UsageError, match="create a new assignment"):
        plan_export(LmsOptions(format="canvas", export=CANVAS_EXPORT, column="Homework 2"), blocks)
    with pytest.raises(UsageError, match="names no single column"):
        plan_export(LmsOptions(format="canvas", export=CANVAS_EXPORT, column="Current Score"), blocks)
    with pytest.raises(UsageError, match="no identity column 'Email'"):
        plan_export(LmsOptions(format="canvas", export=CANVAS_EXPORT, match="Email"), blocks)
    renamed = tmp_path / "export.csv"
    renamed.write_text(CANVAS_EXPORT.read_text().replace("Building blocks of the ImageNet winners", "HW 1"))
    with pytest.raises(UsageError, match=r"no column .* named for homework 'blocks'.*--lms-column"):
        plan_export(LmsOptions(format="canvas", export=renamed), blocks)
    with pytest.raises(UsageError, match="not a Canvas gradebook export"):
        plan_export(LmsOptions(format="canvas", export=MOODLE_EXPORT), blocks)


def test_moodle_gets_an_identity_and_a_grade_column(
    tmp_path: Path, blocks: Homework, class_results: list[StudentResult]
) -> None:
    options = LmsOptions(format="moodle", export=MOODLE_EXPORT, mapping=CLASSROOM_ROSTER)
    result, rows = _export(options, blocks, class_results, tmp_path)
    assert rows == [
        ["Email address", "Assignment: Building blocks of the ImageNet winners (Real)"],
        ["ada.lovelace@uni.example.edu", "36"],
        ["grace.hopper@uni.example.edu", "4.5"],
    ]
    assert result.unmatched_submissions == ("minjun", "bob"), "minjun is in no Moodle export"
    assert result.unmatched_students == ("Katherine Johnson (katherine.johnson@uni.example.edu)",)
    assert [n.id for n in result.not_exported] == ["linus"]


def test_moodle_without_its_export_takes_the_mapping_or_the_ids(tmp_path: Path, blocks: Homework) -> None:
    mapping = tmp_path / "ids.csv"
    mapping.write_text("username,id number\nada,2024001\n")
    results = [graded("ada", 36), graded("bob", 40)]
    options = LmsOptions(format="moodle", match="ID number", mapping=mapping)
    result, rows = _export(options, blocks, results, tmp_path)
    assert rows == [["ID number", blocks.title], ["2024001", "36"]]
    assert result.unmatched_submissions == ("bob",) and result.unmatched_students == ()
    _, rows = _export(LmsOptions(format="moodle"), blocks, results, tmp_path)
    assert rows == [["Email address", blocks.title], ["ada", "36"], ["bob", "40"]]


def test_two_submissions_of_one_lms_student_export_one_grade(tmp_path: Path, blocks: Homework) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("github,login\nada,ada.lovelace@uni.example.edu\nada2,ADA.Lovelace@uni.example.edu\n")
    options = LmsOptions(format="canvas", export=CANVAS_EXPORT, mapping=mapping)
    result, rows = _export(options, blocks, [graded("ada", 36), graded("ada2", 12)], tmp_path)
    assert [row[-1] for row in rows[2:]] == ["36"]
    (twice,) = result.not_exported
    assert twice.id == "ada2" and "the same LMS student as ada" in twice.reason
