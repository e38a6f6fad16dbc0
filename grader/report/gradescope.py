"""The report as Gradescope's ``results.json`` (the autograder specification's fields).

Hidden checks are ``after_published``: students see them once the instructor
publishes the grades, as with a hidden test on Gradescope.
"""

from __future__ import annotations

from typing import Any

from grader.i18n import _
from grader.report.model import CheckStatus, Report


def gradescope_results(report: Report, *, output: str = "") -> dict[str, Any]:
    tests = []
    for assignment in report.assignments:
        # Withheld hidden checks (graded without --hidden) offer no points: left out, as in Classroom's.
        checks = [c for c in assignment.checks if not c.withheld]
        for number, check in enumerate(checks, start=1):
            tests.append(
                {
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.status is CheckStatus.PASSED else "failed",
                    "name": f"{assignment.id}: {check.name}",
                    "number": f"{assignment.id}.{number}",
                    "output": check.feedback_text,
                    "visibility": "after_published" if check.hidden else "visible",
                }
            )
    if report.error:
        failed = _("The grader failed:")
        output = f"{failed} {report.error}\n\n{output}"
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 3),
        "output": output,
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def gradescope_unstarted(message: str) -> dict[str, Any]:
    """Results for a submission that could not be graded at all (no files, too large)."""
    return {
        "score": 0,
        "execution_time": 0,
        "output": _("Your submission could not be graded: {message}").format(message=message),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": [],
    }
