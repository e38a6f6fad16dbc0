"""The score report on a terminal: a table per exercise, then what to fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.i18n import N_, _
from grader.notebook.explain import summary as notebook_summary
from grader.report.model import AssignmentResult, CheckResult, CheckStatus, Report

if TYPE_CHECKING:
    from grader.batch import BatchResult

#: Each status's mark, word (translated where shown) and colour.
_STATUS_STYLE = {
    CheckStatus.PASSED: ("✓", N_("passed"), "green"),
    CheckStatus.FAILED: ("✗", N_("failed"), "red"),
    CheckStatus.ERROR: ("!", N_("error"), "magenta"),
    CheckStatus.SKIPPED: ("-", N_("skipped"), "yellow"),
}


def _points(value: float) -> str:
    return f"{value:g}"


def render(report: Report, console: Console) -> None:
    if report.homework:
        heading = _("Homework {homework}").format(homework=report.homework)
        console.print(f"[bold]{escape(heading)}[/]")
    for assignment in report.assignments:
        console.print(_assignment_table(assignment))
        for checks in _grouped_failures(assignment):
            console.print(_failure_panel(assignment, checks))
    if report.submission.notebook is not None:
        lines = notebook_summary(report.submission.notebook)
        if lines:
            console.print(f"[dim]{escape(lines[0])}[/]")
            for line in lines[1:]:
                console.print(f"[dim]  · {escape(line)}[/]")
    missing = report.environment.isolation_missing
    if missing:
        isolation = _(
            "Isolation: ran without {missing} (these need root on Linux; see the README's security model)."
        ).format(missing=", ".join(missing))
        console.print(f"[yellow]{escape(isolation)}[/]")
    withheld = [c for a in report.assignments for c in a.checks if c.withheld]
    if withheld:
        not_run = _(
            "{count} hidden checks did not run: they need the reference solution, "
            "which is not shipped to students, so they run when your instructor grades."
        ).format(count=len(withheld))
        console.print(f"[dim]{escape(not_run)}[/]")
    if report.error:
        failed = _("The grader failed:")
        console.print(f"[bold magenta]{escape(failed)}[/] {escape(report.error)}")
    style = "green" if report.score == report.max_score and report.max_score else "bold"
    total = _("Total: {score} / {max_score}").format(
        score=_points(report.score), max_score=_points(report.max_score)
    )
    device = _("(device check on {device}, {seconds} s)").format(
        device=report.environment.device or _("no device"), seconds=f"{report.duration_s:.1f}"
    )
    console.print(f"[{style}]{escape(total)}[/]  [dim]{escape(device)}[/]")


def _assignment_table(assignment: AssignmentResult) -> Table:
    variant = ""
    if assignment.variant:
        variant = " · " + _("matched variant: {variant}").format(variant=assignment.variant)
    table = Table(
        title=(
            f"[bold]{escape(assignment.id)}[/] — {escape(assignment.title)}  "
            f"[bold]{_points(assignment.score)}/{_points(assignment.max_score)}[/]{escape(variant)}"
        ),
        title_justify="left",
        expand=False,
    )
    table.add_column(_("Check"))
    table.add_column(_("Result"))
    table.add_column(_("Points"), justify="right")
    for check in assignment.checks:
        mark, word, style = ("·", N_("hidden"), "dim") if check.withheld else _STATUS_STYLE[check.status]
        table.add_row(
            escape(check.name),
            f"[{style}]{mark} {escape(_(word))}[/]",
            "—" if check.withheld else f"{_points(check.score)}/{_points(check.max_score)}",
        )
    return table


def _grouped_failures(assignment: AssignmentResult) -> list[list[CheckResult]]:
    """Failures with the same feedback (a stub, an import error) are shown once."""
    groups: dict[tuple[object, ...], list[CheckResult]] = {}
    for check in assignment.checks:
        if check.status in (CheckStatus.FAILED, CheckStatus.ERROR):
            key = (check.status, check.message, check.hints, len(check.layers))
            groups.setdefault(key, []).append(check)
    return list(groups.values())


def _failure_panel(assignment: AssignmentResult, checks: list[CheckResult]) -> Panel:
    check = checks[0]
    names = check.name if len(checks) == 1 else _("{count} checks").format(count=len(checks))
    parts: list[object] = [Text(check.message)]
    for hint in check.hints:
        parts.append(Text.assemble((_("hint:") + " ", "bold cyan"), hint))
    if check.layers:
        parts.append(_layer_table(check))
    if check.traceback:
        parts.append(Text(check.traceback, style="dim"))
    if check.output.strip():
        parts.append(
            Text.assemble(
                (_("your code printed (the end):") + "\n", "dim"), (_last_lines(check.output), "dim")
            )
        )
    return Panel(
        Group(*parts),
        title=f"{escape(assignment.id)} · {escape(names)}",
        title_align="left",
        border_style="red" if check.status is CheckStatus.FAILED else "magenta",
    )


def _layer_table(check: CheckResult) -> Table:
    table = Table(
        title=escape(_("your layers beside the reference's, in the order forward calls them")),
        title_justify="left",
    )
    table.add_column("")
    table.add_column(_("yours"))
    table.add_column(_("reference"))
    for row in check.layers:
        mark = "→" if row.first_difference else ("≠" if row.differs else "")
        style = "bold red" if row.first_difference else ("yellow" if row.differs else "")
        table.add_row(mark, escape(row.student), escape(row.reference), style=style)
    return table


def _last_lines(output: str, lines: int = 12, characters: int = 800) -> str:
    """The end of what the student printed: the report keeps more (head and tail)."""
    tail = "\n".join(output.strip().splitlines()[-lines:])
    return tail if len(tail) <= characters else "…" + tail[-characters:]


def render_batch(result: BatchResult, console: Console) -> None:
    table = Table(title="Gradebook", title_justify="left")
    table.add_column("student")
    for exercise in result.exercises:
        table.add_column(exercise.id, justify="right")
    table.add_column("total", justify="right")
    table.add_column("status")
    for student in result.students:
        report = student.report
        scores = {a.id: a.score for a in report.assignments} if report else {}
        status = student.status + (" (unchanged)" if student.reused else "")
        style = "" if student.status == "graded" else "yellow"
        table.add_row(
            escape(student.id),
            *(_points(scores[e.id]) if e.id in scores else "" for e in result.exercises),
            f"{_points(report.score)}/{_points(report.max_score)}" if report else "",
            f"[{style}]{escape(status)}[/]" if style else escape(status),
        )
    console.print(table)
    console.print(
        f"{len(result.students)} students, {result.regraded} graded now, "
        f"{sum(1 for s in result.students if s.reused)} unchanged, in {result.duration_s:.1f} s"
        + (f"; ignored: {', '.join(result.ignored)}" if result.ignored else "")
    )
