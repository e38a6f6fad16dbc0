"""The report in GitHub Classroom's autograding format, and as a Markdown step summary.

Classroom's reporter decodes, per runner, base64 of ``{"version": 1, "status", "max_score",
"tests": [...]}`` from the runner's ``<ID>_RESULTS`` variable, and reports ``Points <sum of
scores>/<sum of max_score>``; a runner whose status is ``fail`` or ``error`` fails the step.
Its console table scores a runner as passed tests / tests × max_score, which is right only
when the runner's tests weigh the same: so the grade step also hands over one result per
weight (``points1``, ``points2``, …), and the workflow names those as the runners.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.i18n import N_, _
from grader.notebook.explain import summary as notebook_summary
from grader.report.model import CheckStatus, Report

#: The word a student reads for each status (the status itself stays as it is in the JSON).
_STATUS_WORDS = {
    CheckStatus.PASSED: N_("passed"),
    CheckStatus.FAILED: N_("failed"),
    CheckStatus.ERROR: N_("error"),
    CheckStatus.SKIPPED: N_("skipped"),
}


def runner_id(points: float) -> str:
    """The runner of the checks worth ``points``: letters and digits only, as the reporter needs."""
    return "points" + f"{points:g}".replace(".", "p")


def classroom_result(report: Report, *, points: float | None = None) -> dict[str, Any]:
    """Classroom's result for every check that ran, or for those worth ``points`` alone."""
    tests = []
    max_score = 0.0
    passed = True
    for assignment in report.assignments:
        # Withheld hidden checks offer no points here; as Classroom tests they would count as
        # failures in its reporter's table.
        for check in (c for c in assignment.checks if not c.withheld):
            if points is not None and check.max_score != points:
                continue
            max_score += check.max_score
            passed = passed and check.status is CheckStatus.PASSED
            state = {CheckStatus.PASSED: "pass", CheckStatus.ERROR: "error"}.get(check.status, "fail")
            tests.append(
                {
                    "name": f"{assignment.id}: {check.name}",
                    "status": state,
                    "score": check.score,
                    "message": check.feedback_text,
                    "test_code": "",
                    "filename": f"assignments/{report.homework}/{assignment.id}/test_{assignment.id}.py",
                    "line_no": 0,
                    "duration": round(check.duration_s * 1000),
                }
            )
    status = "error" if report.error else "pass" if passed else "fail"
    return {"version": 1, "status": status, "max_score": round(max_score, 4), "tests": tests}


def github_output_lines(report: Report) -> str:
    """What the grade step appends to $GITHUB_OUTPUT: ``result=<base64>`` with every check,
    then ``points<w>=<base64>`` for the checks of each weight."""
    weights = sorted({c.max_score for a in report.assignments for c in a.checks if not c.withheld})
    outputs = {"result": classroom_result(report)}
    outputs |= {runner_id(w): classroom_result(report, points=w) for w in weights}
    return "".join(
        f"{name}={base64.b64encode(json.dumps(result).encode()).decode()}\n"
        for name, result in outputs.items()
    )


def markdown_summary(report: Report) -> str:
    grade = _("Grade: {score} / {max_score}").format(
        score=f"{report.score:g}", max_score=f"{report.max_score:g}"
    )
    lines = [f"## {grade}", ""]
    headings = (_("check"), _("result"), _("points"))
    hidden = _("hidden: graded by your instructor")
    hint = _("hint:")
    for assignment in report.assignments:
        variant = ""
        if assignment.variant:
            variant = " " + _("(variant: {variant})").format(variant=assignment.variant)
        lines += [
            f"### {assignment.id} — {assignment.score:g} / {assignment.max_score:g}{variant}",
            "",
            "| " + " | ".join(headings) + " |",
            "|---|---|---|",
        ]
        for check in assignment.checks:
            if check.withheld:
                lines.append(f"| {_cell(check.name)} | ⏸ {hidden} | — |")
                continue
            mark = "✅" if check.status is CheckStatus.PASSED else "❌"
            word = _(_STATUS_WORDS[check.status])
            lines.append(f"| {_cell(check.name)} | {mark} {word} | {check.score:g}/{check.max_score:g} |")
        failed = [c for c in assignment.checks if c.status is not CheckStatus.PASSED and not c.withheld]
        for check in failed[:5]:
            lines += ["", f"**{_cell(check.name)}**: {_cell(check.message)}"]
            lines += [f"- {hint} {_cell(h)}" for h in check.hints]
        lines.append("")
    if report.submission.notebook is not None:
        left_out = notebook_summary(report.submission.notebook)
        if left_out:
            lines += [_cell(left_out[0]), "", *(f"- {_cell(line)}" for line in left_out[1:]), ""]
    if report.error:
        failed = _("The grader failed:")
        lines += ["", f"**{failed}** {_cell(report.error.splitlines()[0])}"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
