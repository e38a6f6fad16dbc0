"""Turn pytest-json-report's raw report into the score report.

The raw report is read for each test's outcome, duration and the metadata the
judge plugin attached (points, feedback, notes). Its ``environment`` field is
not used (empty with pytest-metadata 3); the judge adds its own under ``grader``.
"""

from __future__ import annotations

import platform
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from grader import __version__, settings
from grader.course import Exercise
from grader.fingerprint import fingerprint
from grader.report.model import (
    AssignmentResult,
    CheckResult,
    CheckStatus,
    Environment,
    Report,
    Submission,
)


def check_from_test(test: dict[str, Any]) -> CheckResult:
    metadata = test.get("metadata") or {}
    feedback = metadata.get("feedback") or {}
    points = float(metadata.get("points", 0.0))
    outcome = test.get("outcome")
    if outcome == "passed":
        status = CheckStatus.PASSED
    elif outcome == "skipped":
        status = CheckStatus.SKIPPED
    elif outcome == "failed" and feedback.get("kind") == "failed":
        status = CheckStatus.FAILED
    else:
        status = CheckStatus.ERROR
    message = feedback.get("message", "")
    if status is CheckStatus.ERROR and not message:
        crash = (test.get("call") or test.get("setup") or {}).get("crash") or {}
        message = f"the grader itself failed in this check: {crash.get('message', 'unknown error')}"
    hidden = bool(metadata.get("hidden", False))
    if status is CheckStatus.SKIPPED and hidden:
        # Not run where the reference is not shipped: these points are not on offer here.
        points = 0.0
    duration = sum(
        float((test.get(stage) or {}).get("duration", 0.0)) for stage in ("setup", "call", "teardown")
    )
    return CheckResult(
        id=str(metadata.get("check", test.get("nodeid", "?"))),
        name=str(metadata.get("name", test.get("nodeid", "?"))),
        status=status,
        score=points if status is CheckStatus.PASSED else 0.0,
        max_score=points,
        message=message,
        duration_s=duration,
        hints=tuple(feedback.get("hints", ())),
        layers=tuple(feedback.get("layers", ())),
        output=feedback.get("output", ""),
        notes=dict(metadata.get("notes") or {}),
        hidden=hidden,
    )


def _variant(checks: list[CheckResult]) -> str | None:
    """The variant the behaviour checks matched (the most frequent, if they disagree)."""
    found = Counter(c.notes["variant"] for c in checks if c.notes.get("variant"))
    return found.most_common(1)[0][0] if found else None


def build_report(
    *,
    raw: dict[str, Any] | None,
    exercises: tuple[Exercise, ...],
    submission: Submission,
    created: str,
    duration_s: float,
    error: str | None = None,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
) -> Report:
    """The score report; ``course_dir`` is the course graded with, for the report's fingerprint."""
    tests = (raw or {}).get("tests", [])
    by_exercise: dict[str, list[CheckResult]] = {e.id: [] for e in exercises}
    for test in tests:
        exercise = (test.get("metadata") or {}).get("exercise")
        if exercise in by_exercise:
            by_exercise[exercise].append(check_from_test(test))
    grader = (raw or {}).get("grader") or {}
    if raw is not None and not tests and error is None:
        error = "the judge collected no checks"
    return Report(
        schema_version=settings.REPORT_SCHEMA_VERSION,
        grader_version=__version__,
        fingerprint=fingerprint(course_dir),
        created=created,
        duration_s=duration_s,
        submission=submission,
        environment=Environment(
            python=grader.get("python", platform.python_version()),
            torch=grader.get("torch"),
            device=grader.get("device"),
            platform=grader.get("platform", sys.platform),
            isolation_active=tuple((grader.get("isolation") or {}).get("active", ())),
            isolation_missing=tuple((grader.get("isolation") or {}).get("missing", ())),
        ),
        assignments=tuple(
            AssignmentResult(
                id=e.id,
                title=e.title,
                variant=_variant(by_exercise[e.id]),
                checks=tuple(by_exercise[e.id]),
            )
            for e in exercises
        ),
        error=error,
    )
