"""The score report as typed objects; every output format converts from these."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from grader.failures import FailureKind
from grader.i18n import _
from grader.notebook.slice import CellReport, CellUse, SkipReason
from grader.report.record import LayerRow


class CheckStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # the submission does not do what the check asks
    ERROR = "error"  # the grader could not run the check
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    id: str
    name: str
    status: CheckStatus
    score: float
    max_score: float
    message: str
    duration_s: float
    hints: tuple[str, ...] = ()
    layers: tuple[LayerRow, ...] = ()
    output: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False  # needs the reference when grading: not run where it is not shipped
    failure: FailureKind | None = None  # why it did not pass (None when it passed or was skipped)
    traceback: str = ""  # the student's own frames, when their code raised

    @property
    def withheld(self) -> bool:
        """A hidden check that did not run here: the reference was not shipped (a starter)."""
        return self.hidden and self.status is CheckStatus.SKIPPED

    @property
    def feedback_text(self) -> str:
        """The message and its hints as plain text, for formats with one text field."""
        label = _("hint:")
        return "\n".join([self.message, *(f"{label} {hint}" for hint in self.hints)]).strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "duration_s": round(self.duration_s, 4),
            "hints": list(self.hints),
            "layers": [row.to_json() for row in self.layers],
            "output": self.output,
            "notes": self.notes,
            "hidden": self.hidden,
            "failure": None if self.failure is None else self.failure.value,
            "traceback": self.traceback,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        failure = data.get("failure")
        return cls(
            id=data["id"],
            name=data["name"],
            status=CheckStatus(data["status"]),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            message=data["message"],
            duration_s=float(data["duration_s"]),
            hints=tuple(data["hints"]),
            layers=tuple(LayerRow.from_json(row) for row in data["layers"]),
            output=data["output"],
            notes=dict(data["notes"]),
            hidden=bool(data.get("hidden", False)),
            failure=None if failure is None else FailureKind(failure),
            traceback=data.get("traceback", ""),
        )


@dataclass(frozen=True, kw_only=True)
class AssignmentResult:
    id: str
    title: str
    variant: str | None
    checks: tuple[CheckResult, ...]

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "variant": self.variant,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True, kw_only=True)
class NotebookCells:
    """A notebook submission: what became of each of its code cells."""

    file: str
    cells: tuple[CellReport, ...]

    @property
    def not_run(self) -> tuple[CellReport, ...]:
        """The cells with something never run (a cell used whole is not listed)."""
        return tuple(c for c in self.cells if c.use is not CellUse.USED or c.ipython_lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "cells": [
                {
                    "cell": c.cell,
                    "use": c.use.value,
                    "reason": None if c.reason is None else c.reason.value,
                    "skipped_lines": list(c.skipped_lines),
                    "ipython_lines": list(c.ipython_lines),
                    "detail": c.detail,
                }
                for c in self.cells
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookCells:
        return cls(
            file=data["file"],
            cells=tuple(
                CellReport(
                    cell=c["cell"],
                    use=CellUse(c["use"]),
                    reason=None if c["reason"] is None else SkipReason(c["reason"]),
                    skipped_lines=tuple(c["skipped_lines"]),
                    ipython_lines=tuple(c["ipython_lines"]),
                    detail=c["detail"],
                )
                for c in data["cells"]
            ),
        )


@dataclass(frozen=True, kw_only=True)
class Submission:
    path: str
    sha256: str
    files: tuple[str, ...]
    notebook: NotebookCells | None = None  # set when the submission is a notebook or one .py file

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "files": list(self.files),
            "notebook": None if self.notebook is None else self.notebook.to_dict(),
        }


@dataclass(frozen=True, kw_only=True)
class Environment:
    python: str
    torch: str | None
    device: str | None
    platform: str
    isolation_active: tuple[str, ...] = ()
    isolation_missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "torch": self.torch,
            "device": self.device,
            "platform": self.platform,
            "isolation": {"active": list(self.isolation_active), "missing": list(self.isolation_missing)},
        }


@dataclass(frozen=True, kw_only=True)
class Report:
    schema_version: str
    grader_version: str
    # The grader's code, the course and torch (grader/fingerprint.py): a report made with
    # another fingerprint is stale, whatever grader_version says.
    fingerprint: str
    homework: str  # the id of the homework graded
    created: str
    language: str = "en"  # of the names, messages and hints; ids are the same in every language
    duration_s: float
    submission: Submission
    environment: Environment
    assignments: tuple[AssignmentResult, ...]
    error: str | None = None  # set when the grader itself failed; the scores are then partial

    @property
    def score(self) -> float:
        return round(sum(a.score for a in self.assignments), 4)

    @property
    def max_score(self) -> float:
        return round(sum(a.max_score for a in self.assignments), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "grader_version": self.grader_version,
            "fingerprint": self.fingerprint,
            "homework": self.homework,
            "language": self.language,
            "created": self.created,
            "duration_s": round(self.duration_s, 3),
            "submission": self.submission.to_dict(),
            "environment": self.environment.to_dict(),
            "score": self.score,
            "max_score": self.max_score,
            "error": self.error,
            "assignments": [a.to_dict() for a in self.assignments],
        }


def report_from_dict(data: dict[str, Any]) -> Report:
    """The inverse of ``Report.to_dict``, for reports read back from disk (batch resume)."""
    environment = data["environment"]
    isolation = environment.get("isolation") or {}
    return Report(
        schema_version=data["schema_version"],
        grader_version=data["grader_version"],
        # Reports older than schema 1.2 have none: they match no fingerprint, so are regraded.
        fingerprint=data.get("fingerprint", ""),
        # Reports older than schema 1.3 name none; their fingerprint is another course's too.
        homework=data.get("homework", ""),
        # Reports older than schema 1.4 are in English.
        language=data.get("language", "en"),
        created=data["created"],
        duration_s=float(data["duration_s"]),
        submission=Submission(
            path=data["submission"]["path"],
            sha256=data["submission"]["sha256"],
            files=tuple(data["submission"]["files"]),
            notebook=None
            if data["submission"].get("notebook") is None
            else NotebookCells.from_dict(data["submission"]["notebook"]),
        ),
        environment=Environment(
            python=environment["python"],
            torch=environment["torch"],
            device=environment["device"],
            platform=environment["platform"],
            isolation_active=tuple(isolation.get("active", ())),
            isolation_missing=tuple(isolation.get("missing", ())),
        ),
        assignments=tuple(
            AssignmentResult(
                id=a["id"],
                title=a["title"],
                variant=a["variant"],
                checks=tuple(CheckResult.from_dict(c) for c in a["checks"]),
            )
            for a in data["assignments"]
        ),
        error=data.get("error"),
    )
