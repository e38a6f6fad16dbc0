"""What grading left out of a notebook, in the student's words and language."""

from __future__ import annotations

from grader.i18n import _
from grader.notebook.slice import CellReport, CellUse, SkipReason
from grader.report.model import NotebookCells


def lines_text(lines: tuple[int, ...]) -> str:
    """``(3, 4, 5, 9)`` → ``3–5, 9``."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and line == runs[-1][-1] + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def cell_text(cell: CellReport) -> str:
    """One cell's fate, as a sentence."""
    parts = []
    if cell.use is CellUse.SKIPPED:
        if cell.reason is SkipReason.SYNTAX_ERROR:
            parts.append(
                _("cell {cell}: not run, it has a syntax error ({error}) and no builder needs it").format(
                    cell=cell.cell, error=cell.detail
                )
            )
        elif cell.reason is SkipReason.CELL_MAGIC:
            parts.append(
                _("cell {cell}: not run, {magic} is not Python").format(cell=cell.cell, magic=cell.detail)
            )
        elif cell.reason is SkipReason.EMPTY:
            parts.append(_("cell {cell}: nothing to run").format(cell=cell.cell))
        else:
            parts.append(_("cell {cell}: not run, no builder needs it").format(cell=cell.cell))
    elif cell.use is CellUse.PARTLY:
        parts.append(
            _("cell {cell}: lines {lines} not run, no builder needs them").format(
                cell=cell.cell, lines=lines_text(cell.skipped_lines)
            )
        )
    if cell.ipython_lines:
        lines = lines_text(cell.ipython_lines)
        if parts:
            parts.append(_("IPython lines {lines} (%magic, !shell) never run").format(lines=lines))
        else:
            parts.append(
                _("cell {cell}: IPython lines {lines} (%magic, !shell) never run").format(
                    cell=cell.cell, lines=lines
                )
            )
    return "; ".join(parts)


def summary(notebook: NotebookCells) -> list[str]:
    """The heading and one line per cell with something never run (none when all ran)."""
    left_out = notebook.not_run
    if not left_out:
        return []
    heading = _(
        "From {file}, the grader ran only what your builders need; training loops, prints, "
        "plots and big tensors are never run:"
    ).format(file=notebook.file)
    unneeded = [
        c
        for c in left_out
        if c.use is CellUse.SKIPPED and c.reason is SkipReason.NOT_NEEDED and not c.ipython_lines
    ]
    # (first cell, line) pairs, so the lines come in notebook order.
    lines = [(cell.cell, cell_text(cell)) for cell in left_out if len(unneeded) < 2 or cell not in unneeded]
    if len(unneeded) > 1:
        cells = ", ".join(str(c.cell) for c in unneeded)
        lines.append(
            (unneeded[0].cell, _("cells {cells}: not run, no builder needs them").format(cells=cells))
        )
    return [heading, *(text for _cell, text in sorted(lines))]
