"""``grade new``: a scaffolded exercise freezes and grades at once, and nothing is overwritten.

An instructor's first steps, end to end on a copy of this course: ``grade new`` in ``blocks``,
``grade freeze`` of the homework, then grading the new exercise in ``reference/blocks`` (full
marks, its hidden check included) and in the stubs (nothing). The refusals and the edit of
homework.toml need no sandbox and run on a course made here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.course import Course
from grader.errors import UsageError
from grader.freeze import stale_facts
from grader.scaffold import new_exercise
from tests.conftest import copied_course, grade_command, points_by_exercise

NEW = "lenet_block"


@pytest.fixture(scope="module")
def course_dir() -> Iterator[Path]:
    """A copy of this course with ``lenet_block`` scaffolded in ``blocks`` by ``grade new``."""
    with copied_course() as folder:
        result = grade_command(folder, "new", NEW, "--homework", "blocks")
        assert result.exit_code == 0, result.output
        assert "grade freeze -H blocks" in result.output, "the next steps are printed"
        yield folder


def _report(course_dir: Path, folder: str, path: Path) -> dict:
    """The report of ``grade submit`` on ``folder``'s blocks/, the new exercise alone, hidden
    check included (it needs the reference, which this course has)."""
    submission = str(course_dir / folder / "blocks")
    arguments = ["-H", "blocks", "-a", NEW, "--hidden", "--json", str(path), "-q"]
    result = grade_command(course_dir, "submit", submission, *arguments)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def test_new_writes_the_exercise_and_lists_it(course_dir: Path) -> None:
    homework = Course.load(course_dir).homework("blocks")
    assert homework.exercises[-1].id == NEW, "listed last in homework.toml"
    exercise = homework.exercise(NEW)
    assert (exercise.module, exercise.builder) == (NEW, f"build_{NEW}")
    assert set(exercise.configurations) == {"default"}
    listing = (homework.directory / "homework.toml").read_text()
    assert "# The exercises in order" in listing, "homework.toml keeps its comments"
    assert (course_dir / "reference" / "blocks" / f"{NEW}.py").is_file()
    stub = (course_dir / "student_template" / "blocks" / f"{NEW}.py").read_text()
    assert "raise NotImplementedError" in stub and "문제 설명" in stub


def test_the_new_exercise_freezes_and_grades(course_dir: Path, tmp_path: Path, validate_report) -> None:
    course = Course.load(course_dir)
    # Every exercise's frozen facts record the homework's reference folder, which has a new file.
    assert len(stale_facts(course, course.homework("blocks"))) > 1
    frozen = grade_command(course_dir, "freeze", "-H", "blocks")
    assert frozen.exit_code == 0, frozen.output
    assert NEW in frozen.output
    assert stale_facts(course, course.homework("blocks")) == []

    by_exercise = points_by_exercise("blocks", course_dir)
    assert list(by_exercise)[-1] == NEW
    points = by_exercise[NEW]
    assert points.visible > 0 and points.hidden_checks == 1

    # Only the new exercise is graded, to keep this quick: the others' facts are fresh (above).
    for folder, score in (("reference", points.total), ("student_template", 0)):
        report = validate_report(_report(course_dir, folder, tmp_path / f"{folder}.json"))
        (graded,) = report["assignments"]
        assert (graded["id"], graded["score"], graded["max_score"]) == (NEW, score, points.total), folder
    assert "not implemented yet" in json.dumps(graded)


def test_new_refuses_what_it_cannot_write(course_dir: Path) -> None:
    for arguments, words in (
        (["new", "tiny", "-H", "nope"], "no homework 'nope'"),
        (["new", "2nd_block", "-H", "blocks"], "not a Python identifier"),
        (["new", "class", "-H", "blocks"], "not a Python identifier"),
        (["new", "copy", "-H", "blocks"], "would stand in for it"),
        (["new", NEW, "-H", "blocks"], "exercise ids are unique"),
        (["new", "tiny"], "Missing option '--homework'"),
    ):
        result = grade_command(course_dir, *arguments)
        assert result.exit_code == 2, result.output
        assert words in result.output


def test_new_overwrites_nothing(tmp_path: Path) -> None:
    course_dir = _small_course(tmp_path, "exercises = []\n")
    stub = course_dir / "student_template" / "hw" / "tiny.py"
    stub.parent.mkdir(parents=True)
    stub.write_text("# the instructor's\n")
    with pytest.raises(UsageError, match=r"tiny\.py already exists"):
        new_exercise(exercise="tiny", homework="hw", course_dir=course_dir)
    assert stub.read_text() == "# the instructor's\n"
    assert not (course_dir / "reference" / "hw" / "tiny.py").exists()
    assert not (course_dir / "assignments" / "hw" / "tiny").exists()
    assert "tiny" not in (course_dir / "assignments" / "hw" / "homework.toml").read_text()


def test_homework_toml_is_edited_in_its_own_layout(tmp_path: Path) -> None:
    exercises = "# In order.\nexercises = [\n  # none yet\n]\n"
    course_dir = _small_course(tmp_path, exercises)
    for exercise in ("first", "second"):
        new_exercise(exercise=exercise, homework="hw", course_dir=course_dir)
    listing = (course_dir / "assignments" / "hw" / "homework.toml").read_text()
    assert listing == _HEADER + exercises.replace("# none yet\n", '# none yet\n  "first",\n  "second",\n')
    assert [e.id for e in Course.load(course_dir).exercises] == ["first", "second"]


_HEADER = 'id = "hw"\ntitle = "A homework"\n'


def _small_course(tmp_path: Path, exercises: str) -> Path:
    """A course of one homework ``hw``, no exercise yet, whose ``exercises`` list is written so."""
    folder = tmp_path / "course" / "assignments" / "hw"
    folder.mkdir(parents=True)
    (folder / "homework.toml").write_text(_HEADER + exercises)
    return tmp_path / "course"
