"""The report as Gradescope's ``results.json`` (the autograder specification's fields)."""

from __future__ import annotations

from typing import Any

from grader.report.model import CheckStatus, Report


def gradescope_results(report: Report, *, output: str = "") -> dict[str, Any]:
    tests = []
    for assignment in report.assignments:
        for number, check in enumerate(assignment.checks, start=1):
            tests.append(
                {
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.status is CheckStatus.PASSED else "failed",
                    "name": f"{assignment.id}: {check.name}",
                    "number": f"{assignment.id}.{number}",
                    "output": check.feedback_text,
                    "visibility": "visible",
                }
            )
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 3),
        "output": output or (f"The grader failed: {report.error}" if report.error else ""),
        "stdout_visibility": "hidden",
        "tests": tests,
    }
