"""A class's results as a gradebook: CSV rows and a JSON summary, from the same reports."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from grader.course import Exercise
from grader.report.model import CheckStatus, Report

GRADED = "graded"
INCOMPLETE = "incomplete"  # grading did not complete: the judge or the sandbox failed
INVALID = "invalid"  # the entry could not be graded (a bad zip, too large)
MISSING = "missing"  # on the roster, no submission


@dataclass(frozen=True, kw_only=True)
class StudentResult:
    id: str
    name: str
    status: str
    reason: str = ""
    report: Report | None = None
    reused: bool = False


def csv_header(exercises: tuple[Exercise, ...]) -> list[str]:
    return ["id", "name", *(e.id for e in exercises), "total", "max", "status", "reason"]


def csv_row(student: StudentResult, exercises: tuple[Exercise, ...]) -> list[str]:
    report = student.report
    scores = {a.id: a.score for a in report.assignments} if report else {}
    cells = [f"{scores[e.id]:g}" if e.id in scores else "" for e in exercises]
    total = f"{report.score:g}" if report else ""
    maximum = f"{report.max_score:g}" if report else ""
    return [student.id, student.name, *cells, total, maximum, student.status, student.reason]


def summary(students: list[StudentResult], exercises: tuple[Exercise, ...]) -> dict[str, Any]:
    graded = [s for s in students if s.status == GRADED and s.report]
    totals = [s.report.score for s in graded if s.report]
    maximum = max((s.report.max_score for s in graded if s.report), default=0.0)
    return {
        "students": len(students),
        "graded": len(graded),
        "incomplete": [
            {"id": s.id, "name": s.name, "status": s.status, "reason": s.reason}
            for s in students
            if s.status != GRADED
        ],
        "score": {
            "max_score": maximum,
            "mean": round(statistics.fmean(totals), 3) if totals else None,
            "median": statistics.median(totals) if totals else None,
            "min": min(totals, default=None),
            "max": max(totals, default=None),
            "distribution": dict(
                sorted(Counter(f"{t:g}" for t in totals).items(), key=lambda kv: float(kv[0]))
            ),
        },
        "exercises": {e.id: _exercise_summary(e, graded) for e in exercises},
    }


def _exercise_summary(exercise: Exercise, graded: list[StudentResult]) -> dict[str, Any]:
    results = [a for s in graded if s.report for a in s.report.assignments if a.id == exercise.id]
    checks: dict[str, list[bool]] = {}
    failures: Counter[str] = Counter()
    for assignment in results:
        messages = set()
        for check in assignment.checks:
            checks.setdefault(check.id, []).append(check.status is CheckStatus.PASSED)
            if check.status is not CheckStatus.PASSED:
                messages.add(check.message.splitlines()[0][:200] if check.message else check.status.value)
        failures.update(messages)  # counted once per student
    return {
        "title": exercise.title,
        "mean": round(statistics.fmean(a.score for a in results), 3) if results else None,
        "max_score": max((a.max_score for a in results), default=0.0),
        "full_marks": sum(1 for a in results if a.score == a.max_score),
        "pass_rate": {check: round(sum(ok) / len(ok), 3) for check, ok in checks.items()},
        "common_failures": [[message, count] for message, count in failures.most_common(5)],
    }
