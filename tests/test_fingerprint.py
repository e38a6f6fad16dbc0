"""The fingerprint: what stored facts and a batch's reports are keyed on.

It must change with anything that can change a grade — the grader's code, an exercise's
description or checks, the reference, torch — and with nothing else, and stored facts made
by another grader must be missed. Files are changed in copies, never in this checkout.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from grader import fingerprint as fingerprints
from grader import settings
from grader.course import Course
from grader.facts import FactsStore, FrozenFacts, facts_key
from grader.fingerprint import compute_fingerprint
from tests.conftest import ROOT


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the grader package and one of the course (assignments, reference)."""
    package = Path(shutil.copytree(settings.PACKAGE_DIR, tmp_path / "package" / "grader"))
    course = tmp_path / "course"
    for name in ("assignments", "reference"):
        shutil.copytree(ROOT / name, course / name, ignore=shutil.ignore_patterns("__pycache__"))
    return package, course


@pytest.fixture
def fresh_process() -> Iterator[None]:
    """Each test starts and ends with no digest cached, as a new process would."""
    fingerprints.forget()
    yield
    fingerprints.forget()


def _append(path: Path, text: str) -> None:
    path.write_bytes(path.read_bytes() + text.encode())


def test_the_fingerprint_changes_with_what_can_change_a_grade(copies: tuple[Path, Path]) -> None:
    package, course = copies

    def digest() -> str:
        return compute_fingerprint(package_dir=package, course_dir=course)

    before = digest()
    assert len(before) == 64 and digest() == before
    # The same files in another folder: the same fingerprint (a worker, a copied course).
    assert compute_fingerprint(package_dir=settings.PACKAGE_DIR, course_dir=ROOT) == before

    changes = [
        package / "checks" / "behaviour.py",
        package / "judge" / "pytest.ini",
        package / "report" / "schema.json",
        package / "templates" / "run_autograder",
        course / "assignments" / "course.toml",
        course / "assignments" / "blocks" / "homework.toml",
        course / "assignments" / "blocks" / "vgg_block" / "exercise.toml",
        course / "assignments" / "blocks" / "vgg_block" / "test_vgg_block.py",
        course / "reference" / "blocks" / "residual.py",
    ]
    for path in changes:
        original = path.read_bytes()
        _append(path, "\n# changed\n")
        assert digest() != before, path
        path.write_bytes(original)
        assert digest() == before, path

    # What cannot change a grade: compiled files, frozen facts (their own digest guards
    # them), notes.
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"\0")
    _append(course / "assignments" / "blocks" / "vgg_block" / "facts" / "default.json", " ")
    _append(course / "assignments" / "README.md", "\nnotes\n")
    (package / "NOTES.md").write_text("notes\n")
    assert digest() == before

    # A renamed file is another grader, though its bytes are the same.
    (package / "checks" / "behaviour.py").rename(package / "checks" / "behaviour2.py")
    assert digest() != before


def test_torch_is_in_the_fingerprint() -> None:
    read = fingerprints._torch_version().decode()
    assert f"__version__ = '{torch.__version__}'" in read


def test_the_fingerprint_is_computed_once_per_process(
    copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, fresh_process: None
) -> None:
    package, course = copies
    monkeypatch.setattr(settings, "PACKAGE_DIR", package)
    first = fingerprints.fingerprint(course)
    _append(package / "checks" / "behaviour.py", "\n# changed\n")
    assert fingerprints.fingerprint(course) == first, "cached for the process"
    fingerprints.forget()
    assert fingerprints.fingerprint(course) != first


def test_a_changed_grader_misses_the_stored_facts(
    copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_process: None
) -> None:
    package, course_dir = copies
    monkeypatch.setattr(settings, "PACKAGE_DIR", package)
    course = Course.load(course_dir)
    exercise = course.exercise("vgg_block")
    store = FactsStore(tmp_path / "store")
    assert store.directory is not None

    key = facts_key(course, exercise, "default", "seed")
    # Stored facts are a facts file pair named by their key: the frozen pair serves as one.
    store.directory.mkdir()
    for frozen in FrozenFacts(exercise).paths("default"):
        shutil.copy(frozen, store.directory / f"{key}{frozen.suffix}")
    fingerprints.forget()  # the next process, the grader unchanged: the facts are found
    assert facts_key(course, exercise, "default", "seed") == key
    assert store.load(key) is not None

    _append(package / "checks" / "behaviour.py", "\n# a changed comparison\n")
    fingerprints.forget()  # the next process, with the changed grader
    changed = facts_key(course, exercise, "default", "seed")
    assert changed != key
    assert store.load(changed) is None, "a changed grader computes its facts again"


def test_the_key_still_names_the_exercise_configuration_and_seed(fresh_process: None) -> None:
    course = Course.load(ROOT)
    vgg, residual = course.exercise("vgg_block"), course.exercise("residual")
    keys = {
        facts_key(course, vgg, "default", "seed"),
        facts_key(course, residual, "default", "seed"),
        facts_key(course, residual, "small", "seed"),
        facts_key(course, residual, "small", "another seed"),
    }
    assert len(keys) == 4
