"""Grading on a Dask cluster uses the instructor's course, not the one installed on the workers."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.remote import WarmGrading, pack_course, unpacked_course, warm_grading
from tests.conftest import ROOT

SCENARIOS = ROOT / "tests" / "scenarios"


@pytest.fixture
def reweighted_course():
    """A copy of the course whose alexnet_block is worth 13 points instead of 10."""
    folder = Path(tempfile.mkdtemp(prefix="grader-course-"))
    folder.chmod(0o755)
    for name in ("assignments", "reference"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    checks = folder / "assignments" / "blocks" / "alexnet_block" / "test_alexnet_block.py"
    text = checks.read_text()
    assert text.count("@pytest.mark.points(2)\ndef test_output_shape") == 1
    checks.write_text(
        text.replace(
            "@pytest.mark.points(2)\ndef test_output_shape", "@pytest.mark.points(5)\ndef test_output_shape"
        )
    )
    yield folder
    shutil.rmtree(folder)


def _totals(out: Path) -> dict[str, tuple[str, str]]:
    with (out / "grades.csv").open() as file:
        return {row["id"]: (row["alexnet_block"], row["total"], row["max"]) for row in csv.DictReader(file)}


def test_a_packed_course_unpacks_to_the_same_files(reweighted_course: Path) -> None:
    archive = pack_course(reweighted_course)
    unpacked = unpacked_course(archive)
    assert unpacked_course(archive) == unpacked, "unpacked once per worker"
    for name in ("assignments", "reference"):
        ours = sorted(
            p.relative_to(reweighted_course) for p in (reweighted_course / name).rglob("*") if p.is_file()
        )
        theirs = sorted(p.relative_to(unpacked) for p in (unpacked / name).rglob("*") if p.is_file())
        assert ours == theirs
    checks = Path("assignments/blocks/alexnet_block/test_alexnet_block.py")
    assert (unpacked / checks).read_text() == (reweighted_course / checks).read_text()


def test_dask_grades_with_the_instructors_course(reweighted_course: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copytree(SCENARIOS / "seed_answers" / "submission", folder / "ada")
    shutil.copytree(SCENARIOS / "other_styles" / "submission", folder / "grace")
    options = {
        "submissions": folder,
        "homework": "blocks",
        "assignments": ["alexnet_block", "vgg_block"],
        "course_dir": reweighted_course,
    }
    grade_batch(out=tmp_path / "local", jobs=1, **options)
    expected = {"ada": ("13", "23", "23"), "grace": ("13", "23", "23")}
    assert _totals(tmp_path / "local") == expected
    # Two workers, each with its warm parent; two threads on one share it.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        grade_batch(out=tmp_path / "remote", scheduler=cluster.scheduler_address, **options)
    assert _totals(tmp_path / "remote") == expected


def test_a_worker_with_another_grader_or_course_refuses(reweighted_course: Path) -> None:
    plugin = warm_grading(reweighted_course)
    other = WarmGrading(course=plugin.course, fingerprint="0" * 64, facts_seed=plugin.facts_seed)
    with pytest.raises(RuntimeError, match="install the instructor's grader and torch version"):
        other.setup()
