"""A student's notebook (or single ``.py`` file), read as data: its code cells, nothing run.

nbformat reads and validates the file; what the grader cannot take is a usage error that
says why (not JSON, saved by a Jupyter before 4.0, larger than the cap), never a crash.
A ``.py`` file is one cell named by the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.errors import UsageError
from grader.i18n import _

#: Suffixes of a submission that is one file rather than a folder.
NOTEBOOK_SUFFIX = ".ipynb"
SCRIPT_SUFFIX = ".py"


class NotebookError(UsageError):
    """The notebook cannot be graded: the message says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class CodeCell:
    number: int  # 1-based position among all the notebook's cells, as a student counts them
    source: str

    @property
    def name(self) -> str:
        """How messages and tracebacks name the cell (a ``.py`` file's cell is the file)."""
        return f"cell {self.number}"


@dataclass(frozen=True, kw_only=True)
class Notebook:
    file: str  # the file's name, as the student knows it
    cells: tuple[CodeCell, ...]
    script: bool = False  # a .py file: one cell, named by the file

    def cell_name(self, cell: CodeCell) -> str:
        return self.file if self.script else cell.name


def is_single_file(path: Path) -> bool:
    return path.is_file() and path.suffix in (NOTEBOOK_SUFFIX, SCRIPT_SUFFIX)


def read(path: Path) -> Notebook:
    """The notebook's code cells (markdown and raw cells only count for numbering)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise NotebookError(
            _("cannot read {path}: {error}").format(path=path, error=error.strerror)
        ) from None
    if size > settings.MAX_NOTEBOOK_BYTES:
        raise NotebookError(
            _(
                "{file} is {size:.0f} MiB, more than the {cap} MiB a notebook may be: clear its outputs "
                "(Jupyter: Edit → Clear Outputs of All Cells; Colab: Edit → Clear all outputs), save, "
                "and submit it again"
            ).format(file=path.name, size=size / 1024**2, cap=settings.MAX_NOTEBOOK_BYTES // 1024**2)
        )
    data = path.read_bytes()
    if path.suffix == SCRIPT_SUFFIX:
        return Notebook(file=path.name, cells=(CodeCell(number=1, source=_text(path, data)),), script=True)
    return _parse(path, _text(path, data))


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotebookError(
            _("{file} is not UTF-8 text (byte {byte}): save it again as UTF-8").format(
                file=path.name, byte=error.start
            )
        ) from None


def _parse(path: Path, text: str) -> Notebook:
    import nbformat

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            _(
                "{file} is not a notebook: its JSON breaks at line {line}, column {column} ({error}). "
                "Open it in Jupyter or Colab, save it, and submit it again"
            ).format(file=path.name, line=error.lineno, column=error.colno, error=error.msg)
        ) from None
    major = raw.get("nbformat") if isinstance(raw, dict) else None
    if not isinstance(major, int):
        raise NotebookError(
            _("{file} is JSON but not a notebook: it has no nbformat version").format(file=path.name)
        )
    if major < 4:
        raise NotebookError(
            _(
                "{file} was saved in notebook format {version}, by a Jupyter older than 4.0 (2015): "
                "open it in a current Jupyter or in Colab, save it, and submit it again"
            ).format(file=path.name, version=major)
        )
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat's errors have no common base beyond this
        reason = str(error).splitlines()[0][:300]
        raise NotebookError(
            _(
                "{file} is not a valid notebook ({reason}): open it in Jupyter or Colab, save it, "
                "and submit it again"
            ).format(file=path.name, reason=reason)
        ) from None
    cells = tuple(
        CodeCell(number=number, source=cell.source)
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code"
    )
    return Notebook(file=path.name, cells=cells)
