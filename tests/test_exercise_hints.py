"""An exercise's own hints, from the hints.py in its folder (grader/checks/exercise_hints.py).

The loader's rules are tested on small hints.py files; one grading of a course copy shows an
exercise's hints reaching its feedback, an exercise without hints.py getting only the engine's,
and a hints.py that raises leaving the verdict as it was.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.checks.exercise_hints import HINTS_FILE, ExerciseHints, ExerciseHintsWarning
from grader.checks.hints import for_failure
from grader.course import Course, Exercise
from grader.facts import source_digest
from grader.failures import Failure, FailureKind
from grader.fingerprint import compute_fingerprint
from grader.grade import submit
from grader.ship import STARTER_GRADER_DIR, classroom_starter
from tests.conftest import ROOT

CAT_FAILURE = Failure(
    kind=FailureKind.FORWARD_RAISED,
    message="Sizes of tensors must match except in dimension 0. Expected size 32 but got size 128",
)
BRANCHES_JOINED = "the branches are joined along the channels"

#: A hints.py as an instructor writes one: typed, using what the engine passes.
GOOD_HINTS = """
from grader.sandbox.messages import Structure


def structure_hints(student: Structure, reference: Structure) -> list[str]:
    return [f"course hint: the reference returns {tuple(reference.output.shape)}"]
"""

RAISING_HINTS = """
def structure_hints(student, reference):
    raise KeyError("a bug in the instructor's hint")


def failure_hints(failure):
    return ["failure hint still given"]
"""


@pytest.fixture(scope="module")
def course() -> Course:
    return Course.load(ROOT)


def _exercise(course: Course, exercise_id: str) -> Exercise:
    return course.homework("blocks").exercise(exercise_id)


def _with_hints(course: Course, folder: Path, text: str, exercise_id: str = "alexnet_block") -> Exercise:
    """A course exercise whose folder is ``folder``, holding ``text`` as its hints.py."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HINTS_FILE).write_text(text)
    return dataclasses.replace(_exercise(course, exercise_id), directory=folder)


def test_torch_cat_wording_is_the_inception_exercises(course: Course) -> None:
    inception = for_failure(CAT_FAILURE, exercise=_exercise(course, "inception"))
    alexnet = for_failure(CAT_FAILURE, exercise=_exercise(course, "alexnet_block"))
    assert any(BRANCHES_JOINED in hint for hint in inception)
    assert not any("branch" in hint for hint in alexnet)


def test_every_hints_py_of_the_course_loads_and_defines_a_hint(course: Course) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExerciseHintsWarning)
        for exercise in course.exercises:
            hints = ExerciseHints.load(exercise)
            if hints.path.is_file():
                defined = (hints.structure_hints, hints.output_hints, hints.failure_hints)
                assert any(defined), f"{hints.path} defines no hint function"


def test_two_exercises_hints_py_never_replace_each_other(course: Course, tmp_path: Path) -> None:
    first = _with_hints(course, tmp_path / "a" / "same", 'def failure_hints(f):\n    return ["first"]\n')
    second = _with_hints(course, tmp_path / "b" / "same", 'def failure_hints(f):\n    return ["second"]\n')
    assert ExerciseHints.load(first).for_failure(CAT_FAILURE) == ["first"]
    assert ExerciseHints.load(second).for_failure(CAT_FAILURE) == ["second"]


def test_a_missing_function_gives_no_hints(course: Course, tmp_path: Path) -> None:
    exercise = _with_hints(course, tmp_path / "only_failure", 'def failure_hints(f):\n    return ["x"]\n')
    hints = ExerciseHints.load(exercise)
    assert hints.output_hints is None
    assert hints.for_outputs(None, None, None) == []


def test_a_raising_hint_is_left_out_with_a_warning(course: Course, tmp_path: Path) -> None:
    hints = ExerciseHints.load(_with_hints(course, tmp_path / "raising", RAISING_HINTS))
    with pytest.warns(ExerciseHintsWarning, match=r"structure_hints\(\) raised KeyError.*hints\.py:3"):
        assert hints.for_structures(None, None) == []
    assert hints.for_failure(CAT_FAILURE) == ["failure hint still given"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("import no_such_module\n", "could not be imported: ModuleNotFoundError"),
        ("def failure_hints(f):\n    return 'a string'\n", "returned str, not a list of strings"),
        ("failure_hints = ['not a function']\n", "failure_hints is a list, not a function"),
    ],
)
def test_a_broken_hints_py_gives_no_hints_and_a_warning(
    course: Course, tmp_path: Path, text: str, match: str
) -> None:
    exercise = _with_hints(course, tmp_path / "broken", text)
    with pytest.warns(ExerciseHintsWarning, match=match):
        assert for_failure(CAT_FAILURE, exercise=exercise) == []


@pytest.fixture(scope="module")
def course_copy() -> Iterator[Path]:
    """This course in a folder the sandbox's uid can read (pytest's tmp_path is private)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-hints-"))
    try:
        folder.chmod(0o755)
        for name in ("assignments", "reference", "student_template"):
            shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        yield folder
    finally:
        shutil.rmtree(folder)


def test_a_changed_hints_py_keeps_the_frozen_facts(course_copy: Path) -> None:
    """Facts do not depend on hints: a changed hint must not make ``grade freeze`` necessary,
    but it changes the feedback, so the fingerprint (reports kept by ``grade batch``) changes."""
    copy = Course.load(course_copy)
    inception = copy.homework("blocks").exercise("inception")
    hints = inception.directory / HINTS_FILE
    digest = source_digest(copy, inception)
    before = compute_fingerprint(package_dir=ROOT / "grader", course_dir=course_copy)
    original = hints.read_text()
    try:
        hints.write_text(original + "\n# reworded\n")
        assert source_digest(copy, inception) == digest
        assert compute_fingerprint(package_dir=ROOT / "grader", course_dir=course_copy) != before
    finally:
        hints.write_text(original)


def test_a_starter_ships_the_hints(tmp_path: Path) -> None:
    shipped = classroom_starter(out=tmp_path / "starter", course_dir=ROOT, homework="blocks")
    blocks = shipped.path / STARTER_GRADER_DIR / "assignments" / "blocks"
    assert (blocks / "inception" / HINTS_FILE).is_file()
    assert (blocks / "residual" / HINTS_FILE).is_file()


def test_feedback_holds_the_exercises_own_hints(course_copy: Path) -> None:
    """alexnet_block gets a hints.py, vgg_block one that raises, inception loses its own."""
    blocks = course_copy / "assignments" / "blocks"
    (blocks / "alexnet_block" / HINTS_FILE).write_text(GOOD_HINTS)
    (blocks / "vgg_block" / HINTS_FILE).write_text(RAISING_HINTS)
    (blocks / "inception" / HINTS_FILE).unlink()
    submission = course_copy / "submission"
    submission.mkdir(mode=0o755)
    (submission / "alexnet_block.py").write_text(
        "from torch import nn\n\n\ndef build_alexnet_block():\n"
        "    return nn.Sequential(nn.Conv2d(3, 48, 5), nn.ReLU(), nn.Dropout())\n"
    )
    (submission / "vgg_block.py").write_text(
        "from torch import nn\n\n\ndef build_vgg_block():\n"
        "    return nn.Sequential(nn.Conv2d(1, 8, 3, padding='same'), nn.ReLU(), nn.MaxPool2d(2))\n"
    )
    shutil.copy(ROOT / "tests" / "scenarios" / "cat_wrong_dim" / "submission" / "inception.py", submission)

    report = submit(
        path=submission,
        homework="blocks",
        assignments=["alexnet_block", "vgg_block", "inception"],
        course_dir=course_copy,
    )

    assert report.error is None, report.error
    checks = {(a.id, c.id): c for a in report.assignments for c in a.checks}
    alexnet = checks["alexnet_block", "output_shape"]
    assert "course hint: the reference returns (32, 48, 222, 222)" in alexnet.hints, alexnet.hints
    vgg = checks["vgg_block", "parameter_count"]
    assert vgg.status.value == "failed", "a raising hint leaves the verdict as it was"
    assert vgg.hints, "the engine's hints are still given"
    inception = checks["inception", "output_shape"]
    assert inception.status.value == "failed"
    assert "dimension 0" in inception.message
    assert not any(BRANCHES_JOINED in h for h in inception.hints), "inception's hints.py was removed"
