"""Similar submissions: pairs ranked per exercise by copydetect, the template's code excluded,
notebooks compared by the cells their builders need; on tiny files, without grading."""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.course import Course, Homework
from grader.errors import UsageError
from grader.report.gradebook import GRADED, StudentResult, summary
from grader.report.html import render_html
from grader.similarity import compare_class, submission_sources
from tests.conftest import ROOT
from tests.test_lms import graded_report

SCENARIOS = ROOT / "tests" / "scenarios"

#: tests/scenarios/seed_answers' vgg_block.py with every name changed, laid out anew and commented.
RENAMED = """\
import torch.nn as nn
from torch.nn import Conv2d, MaxPool2d, ReLU


def build_vgg_block():
    # my own VGG block: convolution, activation, pooling
    convolution = Conv2d(1, 8, 5,
                         padding="same")
    activation = ReLU()

    pooling = MaxPool2d(2)
    return nn.Sequential(convolution,
                         activation, pooling)
"""


@pytest.fixture(scope="module")
def blocks() -> Homework:
    return Course.load(ROOT).choose_homework("blocks")


@pytest.fixture
def class_folder(tmp_path: Path, blocks: Homework) -> list[tuple[str, Path]]:
    """ada (the seed's answers), grace (ada's vgg_block renamed and reformatted, as a zip),
    linus and mary (their own), and two students who handed in the template untouched."""
    folder = tmp_path / "class"
    shutil.copytree(SCENARIOS / "seed_answers" / "submission", folder / "ada")
    with zipfile.ZipFile(folder / "grace.zip", "w") as zipped:
        zipped.writestr("grace/vgg_block.py", RENAMED)
    shutil.copytree(SCENARIOS / "other_styles" / "submission", folder / "linus")
    shutil.copytree(SCENARIOS / "wrong_padding" / "submission", folder / "mary")
    shutil.copytree(blocks.template_dir, folder / "stub1")
    shutil.copytree(blocks.template_dir, folder / "stub2")
    names = ["ada", "grace.zip", "linus", "mary", "stub1", "stub2"]
    return [(name.removesuffix(".zip"), folder / name) for name in names]


def test_a_renamed_and_reformatted_copy_ranks_first_and_the_template_shares_nothing(
    class_folder: list[tuple[str, Path]], blocks: Homework
) -> None:
    pytest.importorskip("copydetect")
    similarity = compare_class(class_folder, blocks, blocks.select(["vgg_block", "residual"]))
    vgg, residual = similarity.exercises
    assert vgg.compared == 6
    first = vgg.pairs[0]
    assert (first.first.student, first.second.student) == ("ada", "grace")
    assert min(first.shared) > 0.9, first.shared
    assert all(p.score <= first.score for p in vgg.pairs)
    students = {frozenset((p.first.student, p.second.student)) for p in vgg.pairs}
    assert frozenset(("stub1", "stub2")) not in students, "the template is never evidence"
    assert residual.compared == 4, "grace and mary handed in no residual.py"
    assert frozenset(("stub1", "stub2")) not in {
        frozenset((p.first.student, p.second.student)) for p in residual.pairs
    }
    shared_text = first.first.text[first.first_passages[0][0] : first.first_passages[-1][1]]
    assert "Conv2d(1, 8, 5" in shared_text
    listed = similarity.to_dict()["vgg_block"]
    assert listed["pairs"][0]["students"] == ["ada", "grace"]
    scores = [p["score"] for p in listed["pairs"]]
    assert scores == sorted(scores, reverse=True)


def test_a_notebook_is_compared_by_the_cells_its_builder_needs(tmp_path: Path, blocks: Homework) -> None:
    """Not the module the grader writes around them: a notebook and a folder holding the same
    code rank first."""
    pytest.importorskip("copydetect")
    (tmp_path / "grace").mkdir()
    (tmp_path / "grace" / "vgg_block.py").write_text(RENAMED)
    notebook = SCENARIOS / "notebook_seed" / "homework.ipynb"
    sources = submission_sources("ada", notebook, blocks, blocks.select(["vgg_block"]))
    text = sources["vgg_block"].text
    assert "def build_vgg_block" in text and "_grader_run_cell" not in text
    assert "torch.rand" not in text, "only what the builder needs"
    assert sources["vgg_block"].origin.startswith("homework.ipynb, cells 7")
    entries = [
        ("ada", notebook),
        ("grace", tmp_path / "grace"),
        ("mary", SCENARIOS / "wrong_padding" / "submission"),
    ]
    (vgg,) = compare_class(entries, blocks, blocks.select(["vgg_block"])).exercises
    assert (vgg.pairs[0].first.student, vgg.pairs[0].second.student) == ("ada", "grace")


def test_the_page_shows_the_top_pairs_side_by_side_with_shared_passages_marked(
    class_folder: list[tuple[str, Path]], blocks: Homework
) -> None:
    pytest.importorskip("copydetect")
    exercises = blocks.select(["vgg_block"])
    similarity = compare_class(class_folder, blocks, exercises)
    students = [
        StudentResult(id=i, name="", status=GRADED, report=graded_report({"vgg_block": (10, 10)}))
        for i, _ in class_folder
    ]
    page = render_html(students, exercises, summary(students, exercises), similarity=similarity)
    section = page[page.index("<h2>Similar code</h2>") :]
    assert "not a verdict" in section
    assert section.index("<b>ada</b>") < section.index("<b>grace</b>")
    assert "<mark>" in section and "padding=&quot;same&quot;" in section, "escaped, marked"


def test_similarity_without_copydetect_is_a_usage_error_before_grading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "copydetect" else real(name, *a)
    )
    (tmp_path / "class" / "ada").mkdir(parents=True)
    with pytest.raises(UsageError, match=r"pip install 'grader\[similarity\]'"):
        grade_batch(submissions=tmp_path / "class", out=tmp_path / "out", homework="blocks", similarity=True)
    assert not (tmp_path / "out").exists(), "nothing was graded"
