"""A class's results as a gradebook: CSV rows and a JSON summary, from the same reports."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from grader.course import Exercise
from grader.report.model import AssignmentResult, CheckStatus, Report

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
    for assignment in results:
        for check in assignment.checks:
            checks.setdefault(check.id, []).append(check.status is CheckStatus.PASSED)
    return {
        "title": exercise.title,
        "mean": round(statistics.fmean(a.score for a in results), 3) if results else None,
        "max_score": max((a.max_score for a in results), default=0.0),
        "full_marks": sum(1 for a in results if a.score == a.max_score),
        "pass_rate": {check: round(sum(ok) / len(ok), 3) for check, ok in checks.items()},
        "causes": [cause.to_dict() for cause in causes(results)],
    }


@dataclass(frozen=True, kw_only=True)
class Cause:
    """Why students lost points on an exercise: the first check each of them failed, and how.

    Only the first failure is a cause: the checks after it often fail because of it (a module
    that computes the wrong thing also fails the hidden check on a fresh input, which says so).
    """

    check: str
    name: str
    failure: str  # a FailureKind's value, or the status where a check gave none
    students: int  # each student counted once
    messages: tuple[tuple[str, int], ...]  # the most common first lines, with their students

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "name": self.name,
            "failure": self.failure,
            "students": self.students,
            "messages": [[message, count] for message, count in self.messages],
        }


#: Messages kept for each cause: enough to see its variations, few enough to read.
MESSAGES_PER_CAUSE = 3
_NOT_PASSED = frozenset({CheckStatus.FAILED, CheckStatus.ERROR})


def causes(results: list[AssignmentResult]) -> list[Cause]:
    """The causes of one exercise's lost points across a class, the most common first."""
    found: dict[tuple[str, str], tuple[int, str, Counter[str]]] = {}
    for assignment in results:
        position, first = next(
            ((i, c) for i, c in enumerate(assignment.checks) if c.status in _NOT_PASSED), (0, None)
        )
        if first is None:
            continue
        kind = first.failure.value if first.failure else first.status.value
        message = first.message.splitlines()[0][:200] if first.message else first.status.value
        found.setdefault((first.id, kind), (position, first.name, Counter()))[2][message] += 1
    ranked = sorted(found.items(), key=lambda item: (-item[1][2].total(), item[1][0]))  # ties: check order
    return [
        Cause(
            check=check,
            name=name,
            failure=kind,
            students=messages.total(),
            messages=tuple(messages.most_common(MESSAGES_PER_CAUSE)),
        )
        for (check, kind), (_, name, messages) in ranked
    ]
