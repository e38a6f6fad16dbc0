"""A course of several homeworks: listing, choosing the homework of a submission, grading it.

The course is a copy of this one with a tiny second homework, ``linear`` (one exercise, an
``nn.Linear``), so these tests hold whatever homeworks the real course adds.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.course import Course, CourseError
from grader.freeze import stale_facts
from grader.grade import submit
from grader.ship import STARTER_GRADER_DIR
from tests.conftest import ROOT, copied_course, grade_command, homework_points

LINEAR_HOMEWORK = 'id = "linear"\ntitle = "A linear layer"\nexercises = ["linear_layer"]\n'

LINEAR_EXERCISE = """id = "linear_layer"
title = "Linear layer 16 → 8"
module = "linear_layer"
builder = "build_linear_layer"
statement = "Build nn.Linear(16, 8): (32, 16) → (32, 8)."
required_layers = ["Linear"]

[[variants]]
id = "linear"
builder = "build_linear_layer"
description = "nn.Linear(16, 8)"

[configurations.default]
input_shape = [32, 16]
output_shape = [32, 8]
small_input_shape = [4, 16]
"""

LINEAR_CHECKS = '''import pytest

from grader import checks


@pytest.mark.points(2)
def test_output_shape(student, reference):
    """Output shape (32, 8)"""
    checks.output_shape(student, reference)


@pytest.mark.points(1)
def test_layer_types(student):
    """Uses nn.Linear"""
    checks.required_layers(student)


@pytest.mark.points(1)
def test_parameter_count(student, reference):
    """Parameter count 136"""
    checks.parameter_count(student, reference)


@pytest.mark.points(2)
def test_behaviour(student, reference):
    """Computes what the reference computes, given its weights"""
    checks.matches_reference(student, reference)


@pytest.mark.points(1)
def test_eight_outputs(student):
    """Eight outputs (an instructor's plain assert)"""
    assert student.structure("default").output.shape[-1] == 8


@pytest.mark.points(1)
def test_no_bias_free_layer(student):
    """Its layer keeps a bias (a plain assert with a message)"""
    layers = student.structure("default").weighted_layers
    assert all(layer.config.get("bias") for layer in layers), "the exercise's Linear keeps bias=True"
'''

LINEAR_REFERENCE = """from torch import nn


def build_linear_layer() -> nn.Module:
    return nn.Linear(16, 8)
"""

LINEAR_STUB = '''from torch import nn


def build_linear_layer() -> nn.Module:
    """Return nn.Linear(16, 8)."""
    raise NotImplementedError
'''

LINEAR_POINTS = 8


@pytest.fixture(scope="module")
def course_dir() -> Iterator[Path]:
    """This course plus the homework ``linear``, in a folder the sandbox's own uid can read."""
    with copied_course() as folder:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, folder / name)
        homework = folder / "assignments" / "linear"
        (homework / "linear_layer").mkdir(parents=True)
        (homework / "homework.toml").write_text(LINEAR_HOMEWORK)
        (homework / "linear_layer" / "exercise.toml").write_text(LINEAR_EXERCISE)
        (homework / "linear_layer" / "test_linear_layer.py").write_text(LINEAR_CHECKS)
        for tree, text in (("reference", LINEAR_REFERENCE), ("student_template", LINEAR_STUB)):
            (folder / tree / "linear").mkdir()
            (folder / tree / "linear" / "linear_layer.py").write_text(text)
        listing = folder / "assignments" / "course.toml"
        homeworks = [h.id for h in Course.load(folder).homeworks]
        listed = re.sub(r"^(homeworks = \[.*)\]$", r'\1, "linear"]', listing.read_text(), flags=re.MULTILINE)
        listing.write_text(listed)
        assert [h.id for h in Course.load(folder).homeworks] == [*homeworks, "linear"]
        yield folder


def _choices(course_dir: Path) -> str:
    """The course's homeworks as a usage error lists them to choose from."""
    return ", ".join(h.id for h in Course.load(course_dir).homeworks)


@pytest.fixture
def linear_answer(tmp_path: Path) -> Path:
    """A student's folder for ``linear``: its one module, solved."""
    folder = tmp_path / "answer"
    folder.mkdir()
    (folder / "linear_layer.py").write_text(LINEAR_REFERENCE)
    return folder


def test_the_totals_come_from_the_checks(course_dir: Path) -> None:
    points = homework_points("linear", course_dir)
    assert (points.visible, points.hidden) == (LINEAR_POINTS, 0)


def test_list_shows_both_homeworks_and_their_exercises(course_dir: Path) -> None:
    result = grade_command(course_dir, "list", "--checks")
    assert result.exit_code == 0, result.output
    for word in ("blocks", "alexnet_block", "residual", "linear", "A linear layer", "linear_layer"):
        assert word in result.output
    assert "Parameter count 136" in result.output
    assert result.output.index("residual") < result.output.index("linear_layer"), "in the course's order"


def test_submit_detects_the_homework_from_the_modules(course_dir: Path, linear_answer: Path) -> None:
    report = submit(path=linear_answer, course_dir=course_dir)
    assert report.error is None, report.error
    assert report.homework == "linear"
    assert [a.id for a in report.assignments] == ["linear_layer"]
    assert report.score == report.max_score == LINEAR_POINTS


def test_homework_option_selects_the_homework_folder(
    course_dir: Path, tmp_path: Path, validate_report
) -> None:
    # reference/ holds blocks/ and linear/: -H picks one, graded from its folder.
    written = tmp_path / "report.json"
    result = grade_command(
        course_dir, "submit", str(course_dir / "reference"), "-H", "linear", "--json", str(written), "-q"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{LINEAR_POINTS}/{LINEAR_POINTS}"
    report = validate_report(json.loads(written.read_text()))
    assert report["homework"] == "linear"
    assert report["submission"]["path"] == str(course_dir / "reference" / "linear")
    stub = grade_command(
        course_dir, "submit", str(course_dir / "student_template"), "--homework", "linear", "-q"
    )
    assert stub.exit_code == 0, stub.output
    assert stub.output.strip() == f"0/{LINEAR_POINTS}"


def test_an_ambiguous_folder_is_a_usage_error_naming_the_homeworks(
    course_dir: Path, linear_answer: Path
) -> None:
    shutil.copy2(ROOT / "reference" / "blocks" / "vgg_block.py", linear_answer / "vgg_block.py")
    for folder in (linear_answer, course_dir / "reference"):
        result = grade_command(course_dir, "submit", str(folder))
        assert result.exit_code == 2, result.output
        assert "blocks" in result.output and "linear" in result.output
        assert "--homework" in result.output
    nothing = linear_answer.parent / "nothing"
    nothing.mkdir()
    with pytest.raises(CourseError, match="no homework"):
        submit(path=nothing, course_dir=course_dir)
    unknown = grade_command(course_dir, "submit", str(linear_answer), "-H", "lineer")
    assert unknown.exit_code == 2
    assert "no homework 'lineer'" in unknown.output and _choices(course_dir) in unknown.output
    # -a chooses exercises within the homework.
    other = grade_command(course_dir, "submit", str(linear_answer), "-H", "linear", "-a", "vgg_block")
    assert other.exit_code == 2
    assert "no exercise 'vgg_block' in linear" in other.output


def test_batch_grades_the_homework_it_is_given(course_dir: Path, linear_answer: Path, tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copytree(linear_answer, submissions / "ada")
    (submissions / "bob").mkdir()
    with pytest.raises(CourseError, match="several homeworks"):
        grade_batch(submissions=submissions, out=tmp_path / "none", jobs=1, course_dir=course_dir)
    out = tmp_path / "grades"
    result = grade_batch(submissions=submissions, out=out, jobs=1, course_dir=course_dir, homework="linear")
    assert result.homework == "linear"
    with (out / "grades.csv").open() as file:
        rows = {row["id"]: row for row in csv.DictReader(file)}
    assert {k: (v["linear_layer"], v["total"], v["max"]) for k, v in rows.items()} == {
        "ada": (f"{LINEAR_POINTS}", f"{LINEAR_POINTS}", f"{LINEAR_POINTS}"),
        "bob": ("0", "0", f"{LINEAR_POINTS}"),
    }
    assert json.loads((out / "reports" / "ada.json").read_text())["homework"] == "linear"
    assert json.loads((out / "summary.json").read_text())["homework"] == "linear"


def test_freeze_and_a_starter_take_one_homework(course_dir: Path, tmp_path: Path) -> None:
    frozen = grade_command(course_dir, "freeze", "-H", "linear")
    assert frozen.exit_code == 0, frozen.output
    assert "linear_layer" in frozen.output and "alexnet_block" not in frozen.output
    course = Course.load(course_dir)
    assert stale_facts(course, course.homework("linear")) == []
    ambiguous = grade_command(course_dir, "classroom", str(tmp_path / "none"))
    assert ambiguous.exit_code == 2 and _choices(course_dir) in ambiguous.output
    starter = tmp_path / "starter"
    shipped = grade_command(course_dir, "classroom", str(starter), "-H", "linear")
    assert shipped.exit_code == 0, shipped.output
    assert sorted(p.name for p in starter.glob("*.py")) == ["linear_layer.py"]
    inside = Course.load(starter / STARTER_GRADER_DIR)
    assert [h.id for h in inside.homeworks] == ["linear"]
    assert not (starter / STARTER_GRADER_DIR / "assignments" / "blocks").exists()
    assert not (starter / STARTER_GRADER_DIR / "reference").exists()


def test_a_plain_assert_in_a_check_is_the_students_failure_with_its_message(
    course_dir: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "linear_layer.py").write_text(
        LINEAR_REFERENCE.replace("nn.Linear(16, 8)", "nn.Linear(16, 9, bias=False)")
    )
    report = submit(path=wrong, course_dir=course_dir, homework="linear")
    assert report.error is None, report.error
    checks = {c.id: c for c in report.assignments[0].checks}
    outputs, bias = checks["eight_outputs"], checks["no_bias_free_layer"]
    assert (outputs.status.value, outputs.failure.value) == ("failed", "check_failed")
    assert outputs.message == (
        'the check\'s condition does not hold: assert student.structure("default").output.shape[-1] == 8'
    )
    assert (bias.status.value, bias.message) == ("failed", "the exercise's Linear keeps bias=True")
