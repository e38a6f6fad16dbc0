"""A notebook submission as the modules the sandbox imports: one per exercise, its slice.

Each exercise's module holds only what its builder needs (``grader.notebook.slice``), so a
broken cell that one builder needs costs that exercise alone. The statements keep their
cells' line numbers and are compiled under the cell's name, so a syntax error or a
traceback reads ``cell 7, line 3`` rather than a temporary file. The module is written
here in the judge's world but only ever imported in the sandboxed child.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course import Exercise
from grader.notebook.slice import CellReport, ParsedNotebook, Statement, cell_reports, needed

#: The prologue of every generated module: it runs each cell's taken statements as that cell.
_PROLOGUE = '''\
"""{file}: the statements {builder}() needs, in notebook order (written by the grader).

Every other statement of the notebook is never run. Each cell's statements keep its line
numbers and run under its name, so errors point into the notebook.
"""
import linecache as _grader_linecache
import os as _grader_os

__grader_notebook__ = {file!r}


def _grader_run_cell(name, source, shown):
    filename = _grader_os.path.join(_grader_os.path.dirname(__file__), name)
    _grader_linecache.cache[filename] = (len(shown), None, shown.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globals())

'''
_EPILOGUE = "\ndel _grader_run_cell, _grader_linecache, _grader_os\n"


@dataclass(frozen=True, kw_only=True)
class NotebookSubmission:
    """What grading a notebook took from it and what it left out."""

    file: str
    sha256: str
    cells: tuple[CellReport, ...]


def write_modules(
    parsed: ParsedNotebook, data: bytes, exercises: Sequence[Exercise], folder: Path
) -> NotebookSubmission:
    """Write each exercise's module into ``folder`` (a private snapshot), from the notebook
    ``parsed`` whose file holds ``data``."""
    notebook = parsed.notebook
    taken_by_all: set[int] = set()
    by_module: dict[str, set[str]] = {}
    for exercise in exercises:
        by_module.setdefault(exercise.module, set()).add(exercise.builder)
    for module, builders in by_module.items():
        taken = needed(parsed, sorted(builders))
        taken_by_all |= taken
        source = module_source(parsed, taken, builder=", ".join(sorted(builders)))
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
    return NotebookSubmission(
        file=notebook.file,
        sha256=hashlib.sha256(data).hexdigest(),
        cells=cell_reports(parsed, frozenset(taken_by_all)),
    )


def module_source(parsed: ParsedNotebook, taken: frozenset[int], *, builder: str) -> str:
    """The module: the prologue, then one ``_grader_run_cell`` per cell with taken statements."""
    chunks: dict[int, list[Statement]] = {}
    for index in sorted(taken):
        statement = parsed.statements[index]
        chunks.setdefault(statement.cell.number, []).append(statement)
    parts = [_PROLOGUE.format(file=parsed.notebook.file, builder=builder)]
    for cell in parsed.notebook.cells:
        statements = chunks.get(cell.number)
        if not statements:
            continue
        whole = statements[0].whole_cell
        source = parsed.sources[cell.number] if whole else _keep_lines(statements)
        name = parsed.notebook.cell_name(cell)
        parts.append(f"_grader_run_cell({name!r}, {source!r}, {cell.source!r})\n")
    parts.append(_EPILOGUE)
    return "".join(parts)


def _keep_lines(statements: list[Statement]) -> str:
    """The statements at their own line numbers; lines of statements not taken are blank."""
    lines: dict[int, str] = {}
    for statement in statements:
        for offset, text in enumerate(statement.source.split("\n")):
            number = statement.line + offset
            lines[number] = f"{lines[number]}; {text}" if number in lines else text
    last = max(lines)
    return "\n".join(lines.get(number, "") for number in range(1, last + 1)) + "\n"
