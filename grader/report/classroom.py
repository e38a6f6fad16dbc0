"""The report in GitHub Classroom's autograding format, and as a Markdown step summary.

Classroom's reporter decodes, per runner, base64 of ``{"version": 1, "status", "max_score",
"tests": [...]}`` from the step output ``result``, and reports ``Points <sum of scores>/<sum
of max_score>``; a runner whose status is ``fail`` or ``error`` fails the step.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.report.model import CheckStatus, Report


def classroom_result(report: Report) -> dict[str, Any]:
    if report.error:
        status = "error"
    elif report.score == report.max_score:
        status = "pass"
    else:
        status = "fail"
    tests = []
    for assignment in report.assignments:
        # Withheld hidden checks offer no points here; as Classroom tests they would count as
        # failures in its reporter's table.
        for check in (c for c in assignment.checks if not c.withheld):
            state = {CheckStatus.PASSED: "pass", CheckStatus.ERROR: "error"}.get(check.status, "fail")
            tests.append(
                {
                    "name": f"{assignment.id}: {check.name}",
                    "status": state,
                    "score": check.score,
                    "message": check.feedback_text,
                    "test_code": "",
                    "filename": f"assignments/{assignment.id}/test_{assignment.id}.py",
                    "line_no": 0,
                    "duration": round(check.duration_s * 1000),
                }
            )
    return {"version": 1, "status": status, "max_score": report.max_score, "tests": tests}


def github_output_line(report: Report) -> str:
    """``result=<base64>``, the line a grader step appends to $GITHUB_OUTPUT."""
    encoded = base64.b64encode(json.dumps(classroom_result(report)).encode()).decode()
    return f"result={encoded}\n"


def markdown_summary(report: Report) -> str:
    lines = [f"## Grade: {report.score:g} / {report.max_score:g}", ""]
    for assignment in report.assignments:
        variant = f" (variant: {assignment.variant})" if assignment.variant else ""
        lines += [
            f"### {assignment.id} — {assignment.score:g} / {assignment.max_score:g}{variant}",
            "",
            "| check | result | points |",
            "|---|---|---|",
        ]
        for check in assignment.checks:
            if check.withheld:
                lines.append(f"| {_cell(check.name)} | ⏸ hidden: graded by your instructor | — |")
                continue
            mark = "✅" if check.status is CheckStatus.PASSED else "❌"
            lines.append(
                f"| {_cell(check.name)} | {mark} {check.status.value} | {check.score:g}/{check.max_score:g} |"
            )
        failed = [c for c in assignment.checks if c.status is not CheckStatus.PASSED and not c.withheld]
        for check in failed[:5]:
            lines += ["", f"**{_cell(check.name)}**: {_cell(check.message)}"]
            lines += [f"- hint: {_cell(h)}" for h in check.hints]
        lines.append("")
    if report.error:
        lines += ["", f"**The grader failed:** {_cell(report.error.splitlines()[0])}"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
