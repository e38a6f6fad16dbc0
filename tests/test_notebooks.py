"""Notebooks as submissions: what is taken from them, what is refused, and how errors read.

Grading a notebook end to end is in the scenario folders (tests/scenarios/notebook_*); these
are the slicing rules and the refusals, which need no grading.
"""

from __future__ import annotations

import importlib.util
import json
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import settings
from grader.cli import main
from grader.course import Course
from grader.notebook import read
from grader.notebook.modules import module_source
from grader.notebook.slice import CellUse, SkipReason, cell_reports, needed, parse
from grader.notebook.template import write_notebook
from tests.conftest import ROOT


def _notebook(*sources: str) -> read.Notebook:
    return read.Notebook(
        file="homework.ipynb",
        cells=tuple(read.CodeCell(number=n, source=s) for n, s in enumerate(sources, start=1)),
    )


def _taken(notebook: read.Notebook, *roots: str) -> list[tuple[int, int]]:
    """(cell, line) of each statement the roots need, in notebook order."""
    parsed = parse(notebook)
    return [
        (parsed.statements[i].cell.number, parsed.statements[i].line) for i in sorted(needed(parsed, roots))
    ]


def test_only_what_the_builder_needs_is_taken() -> None:
    notebook = _notebook(
        "%matplotlib inline\n!pip install torchsummary\nimport torch\nimport matplotlib.pyplot as plt",
        "WIDTH = 64\nx = torch.rand(32, 256, 224, 224)\nprint(x.shape)",
        "def build(width=WIDTH):\n    return torch.nn.Conv2d(3, width, 1)\n\n"
        "out = build()(x)\nplt.plot([1, 2])",
        "for epoch in range(10**9):\n    pass\nname = input()",
    )
    assert _taken(notebook, "build") == [(1, 3), (2, 1), (3, 1)]


def test_a_function_body_reads_the_last_binding_and_a_top_level_statement_the_one_before() -> None:
    notebook = _notebook(
        "def build():\n    return Block(CHANNELS)",  # Block: defined in a later cell, read when called
        "CHANNELS = 8\nclass Block:\n    def __init__(self, c):\n        self.c = c",
        "Base = object\nclass Later(Base):\n    pass",  # Base: read when the class statement runs
        "CHANNELS = 16\nBase = int",
    )
    assert _taken(notebook, "build") == [(1, 1), (2, 2), (4, 1)]
    assert _taken(notebook, "Later") == [(3, 1), (3, 2)]


def test_the_later_definition_wins_and_changes_in_part_come_along() -> None:
    notebook = _notebook(
        "def build():\n    return 'first'",
        "config = []\nconfig.append(64)\nconfig += [128]\nimport torch\ntorch.manual_seed(0)",
        "def build():\n    return config",
    )
    assert _taken(notebook, "build") == [(2, 1), (2, 2), (2, 3), (3, 1)]


def test_decorators_semicolons_and_the_main_guard() -> None:
    notebook = _notebook(
        "import functools\nx = 1; y = 2\n\n@functools.cache\ndef build():\n    return y",
        "if __name__ == '__main__':\n    build = None",
    )
    parsed = parse(notebook)
    taken = [parsed.statements[i] for i in sorted(needed(parsed, ["build"]))]
    assert [(s.line, s.source.split("\n")[0]) for s in taken] == [
        (1, "import functools"),
        (2, "y = 2"),
        (4, "@functools.cache"),
    ]


def test_what_became_of_each_cell_is_reported() -> None:
    notebook = _notebook(
        "%%bash\necho hi",
        "%%time\ndef build():\n    return helper()",
        "def helper(:\n    pass",  # defines a needed name but does not parse: kept whole
        "for i in range(3) print(i)",  # does not parse, defines nothing needed
        "# only a comment\n!ls",
        "print('hi')\nz = 1",
    )
    parsed = parse(notebook)
    reports = {c.cell: c for c in cell_reports(parsed, needed(parsed, ["build"]))}
    assert (reports[1].use, reports[1].reason, reports[1].detail) == (
        CellUse.SKIPPED,
        SkipReason.CELL_MAGIC,
        "%%bash",
    )
    assert reports[2].use is CellUse.USED
    assert reports[3].use is CellUse.USED
    assert reports[4].reason is SkipReason.SYNTAX_ERROR and reports[4].detail.startswith("line 1: ")
    assert (reports[5].reason, reports[5].ipython_lines) == (SkipReason.EMPTY, (2,))
    assert (reports[6].use, reports[6].reason) == (CellUse.SKIPPED, SkipReason.NOT_NEEDED)


def test_errors_name_the_cell_and_its_line(tmp_path: Path) -> None:
    """The generated module runs each cell under its name: a traceback reads "cell 3", line 4."""
    notebook = _notebook(
        "import math",
        "print('skipped')",
        "def build():\n    # a comment\n\n    return math.sqrt(-1)",
    )
    parsed = parse(notebook)
    path = tmp_path / "exercise.py"
    path.write_text(module_source(parsed, needed(parsed, ["build"]), builder="build"))
    spec = importlib.util.spec_from_file_location("exercise_from_notebook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ValueError) as raised:
        module.build()
    last = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (Path(last.filename).name, last.lineno, last.line) == ("cell 3", 4, "return math.sqrt(-1)")
    assert "print('skipped')" not in path.read_text()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"cells": [', "its JSON breaks at line 1"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}).encode(), "notebook format 3"),
        (json.dumps({"cells": []}).encode(), "no nbformat version"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": "x"}).encode(), "not a valid notebook"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
    ids=["bad-json", "nbformat-3", "no-version", "invalid", "not-utf8"],
)
def test_a_malformed_notebook_is_a_usage_error_that_says_why(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "homework.ipynb"
    path.write_bytes(content)
    with pytest.raises(read.NotebookError, match=words):
        read.read(path)
    result = CliRunner().invoke(main, ["submit", str(path), "-H", "blocks", "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split())


def test_an_oversized_notebook_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "homework.ipynb"
    with path.open("wb") as file:
        file.truncate(settings.MAX_NOTEBOOK_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(read.NotebookError, match="Clear Outputs of All Cells"):
        read.read(path)


def test_the_template_notebook_is_what_grade_notebook_writes(tmp_path: Path) -> None:
    """The scenario notebook_template grades the committed copy; this keeps it current."""
    out = write_notebook(out=tmp_path / "homework.ipynb", homework=Course.load(ROOT).homework("blocks"))
    committed = ROOT / "tests" / "scenarios" / "notebook_template" / "homework.ipynb"
    assert out.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    notebook = read.read(out)
    sources = "\n".join(c.source for c in notebook.cells)
    assert 'with torch.device("meta")' in sources and "torch.empty(32, 256, 224, 224)" in sources
