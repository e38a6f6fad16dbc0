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

from grader import __version__, i18n, settings
from grader.course import Exercise
from grader.failures import FailureKind
from grader.fingerprint import fingerprint
from grader.report.model import (
    AssignmentResult,
    CheckResult,
    CheckStatus,
    Environment,
    Report,
    Submission,
)
from grader.report.record import CheckRecord, Feedback


def check_from_test(test: dict[str, Any]) -> tuple[str, CheckResult] | None:
    """One check's exercise and result from its raw test entry; None for an entry the judge
    did not record."""
    metadata = test.get("metadata") or {}
    if "record" not in metadata:
        return None
    record = CheckRecord.from_json(metadata["record"])
    check, feedback = record.check, record.feedback
    outcome = test.get("outcome")
    if outcome == "passed":
        status = CheckStatus.PASSED
    elif outcome == "skipped":
        status = CheckStatus.SKIPPED
    elif feedback is not None and feedback.failure.blames_student:
        status = CheckStatus.FAILED
    else:
        status = CheckStatus.ERROR
    if status is CheckStatus.ERROR and feedback is None:
        crash = (test.get("call") or test.get("setup") or {}).get("crash") or {}
        feedback = Feedback(
            failure=FailureKind.GRADER_BUG,
            message=f"the grader itself failed in this check: {crash.get('message', 'unknown error')}",
        )
    points = check.points
    if status is CheckStatus.SKIPPED and check.hidden:
        # Not run where the reference is not shipped: these points are not on offer here.
        points = 0.0
    duration = sum(
        float((test.get(stage) or {}).get("duration", 0.0)) for stage in ("setup", "call", "teardown")
    )
    shown = feedback if status in (CheckStatus.FAILED, CheckStatus.ERROR) else None
    return check.exercise, CheckResult(
        id=check.id,
        name=check.name,
        status=status,
        score=points if status is CheckStatus.PASSED else 0.0,
        max_score=points,
        message=record.skip_reason if status is CheckStatus.SKIPPED else (shown.message if shown else ""),
        duration_s=duration,
        hints=shown.hints if shown else (),
        layers=shown.layers if shown else (),
        output=shown.output if shown else "",
        notes=record.notes,
        hidden=check.hidden,
        failure=shown.failure if shown else None,
        traceback=shown.traceback if shown else "",
    )


def _variant(checks: list[CheckResult]) -> str | None:
    """The variant the behaviour checks matched (the most frequent, if they disagree)."""
    found = Counter(c.notes["variant"] for c in checks if c.notes.get("variant"))
    return found.most_common(1)[0][0] if found else None


def build_report(
    *,
    raw: dict[str, Any] | None,
    homework: str,
    exercises: tuple[Exercise, ...],
    submission: Submission,
    created: str,
    duration_s: float,
    error: str | None = None,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    language: str = i18n.DEFAULT_LANGUAGE,
) -> Report:
    """The score report of one homework's ``exercises``; ``course_dir`` is the course graded with,
    for the report's fingerprint."""
    tests = (raw or {}).get("tests", [])
    by_exercise: dict[str, list[CheckResult]] = {e.id: [] for e in exercises}
    for test in tests:
        found = check_from_test(test)
        if found is not None and found[0] in by_exercise:
            by_exercise[found[0]].append(found[1])
    grader = (raw or {}).get("grader") or {}
    if raw is not None and not tests and error is None:
        error = "the judge collected no checks"
    return Report(
        schema_version=settings.REPORT_SCHEMA_VERSION,
        grader_version=__version__,
        fingerprint=fingerprint(course_dir),
        homework=homework,
        language=language,
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
                title=i18n._(e.title),
                variant=_variant(by_exercise[e.id]),
                checks=tuple(by_exercise[e.id]),
            )
            for e in exercises
        ),
        error=error,
    )
