"""``grade notebook``: a homework's template as a notebook a student fills in.

For each exercise: its statement (the template module's docstring, in Korean and English),
the stub to complete, and a cell that tries the builder at the seed's full sizes on the meta
device (shapes only, nothing allocated). Only the stubs' code is what the grader takes
from it; the trying cells are never run when grading.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.course import Exercise, Homework
from grader.i18n import _
from grader.report.json_report import write_text

_KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _markdown(text: str) -> dict[str, object]:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict[str, object]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}


def _split(module: str) -> tuple[str, str]:
    """A template module's docstring (the statement) and the rest of its code."""
    tree = ast.parse(module)
    doc = ast.get_docstring(tree, clean=True) or ""
    first = tree.body[0] if tree.body else None
    if doc and isinstance(first, ast.Expr) and first.end_lineno is not None:
        code = "\n".join(module.split("\n")[first.end_lineno :])
    else:
        code = module
    return doc, code.strip("\n") + "\n"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _try_cell(exercise: Exercise) -> str:
    config = exercise.configuration("default")
    expected = (
        _("# expected: {shape}").format(shape=_shape(config.output_shape)) if config.output_shape else ""
    )
    return (
        _(
            "# Try your builder at the seed's sizes on the meta device: torch computes the shapes "
            "only, so nothing is allocated.\n# The grader never runs this cell."
        )
        + "\nimport torch\n\n"
        + 'with torch.device("meta"):\n'
        + f"    model = {exercise.builder}()\n"
        + f"    output = model(torch.empty{_shape(config.input_shape)})\n"
        + f"print(output.shape)  {expected}\n"
    ).replace("  \n", "\n")


def notebook_cells(homework: Homework, *, file: str = "homework.ipynb") -> list[dict[str, object]]:
    cells = [
        _markdown(
            f"# {_(homework.title)}\n\n"
            + _(
                "Fill in each builder below, then grade the notebook with "
                "`grade submit {file} --homework {homework}`. The grader runs only what your "
                "builders need: you may keep your own cells (tests, prints, plots, training) "
                "anywhere in the notebook."
            ).format(file=file, homework=homework.id)
        )
    ]
    for exercise in homework.exercises:
        module = homework.template_dir / f"{exercise.module}.py"
        doc, code = _split(module.read_text(encoding="utf-8"))
        cells.append(_markdown(f"## {_(exercise.title)}\n\n```text\n{doc}\n```"))
        cells.append(_code(code))
        cells.append(_code(_try_cell(exercise)))
    return cells


def write_notebook(*, out: Path, homework: Homework) -> Path:
    """Write the homework's template notebook to ``out`` (nbformat 4), atomically."""
    import json

    import nbformat

    notebook = nbformat.from_dict(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": _KERNEL, "language_info": {"name": "python"}},
            "cells": [
                {**cell, "id": f"{homework.id}-{index}"}
                for index, cell in enumerate(notebook_cells(homework, file=out.name))
            ],
        }
    )
    nbformat.validate(notebook)
    write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", out)
    return out
