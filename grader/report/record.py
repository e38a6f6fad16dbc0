"""What the judge records of each check, as typed data: written by the plugin, read by the report.

The judge runs in its own process and hands its records over through pytest-json-report's
per-test metadata (JSON). These classes are that contract: the plugin builds them and
calls ``to_json``; the report reads them back with ``from_json``; the tests use the same
classes. Nothing else writes or parses a check's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.failures import FailureKind


class RecordError(ValueError):
    """A record that is not of the shape the judge writes (a grader bug, not the student's)."""


def _get(data: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise RecordError(f"record field {name!r} is missing")
    value = data[name]
    if not isinstance(value, kind) or (kind is float and isinstance(value, bool)):
        raise RecordError(f"record field {name!r} has the wrong type")
    return value


@dataclass(frozen=True, kw_only=True)
class CollectedCheck:
    """One check as collected: where it belongs and what it is worth."""

    exercise: str
    id: str
    name: str
    points: float
    hidden: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "id": self.id,
            "name": self.name,
            "points": self.points,
            "hidden": self.hidden,
        }

    @classmethod
    def from_json(cls, data: Any) -> CollectedCheck:
        return cls(
            exercise=_get(data, "exercise", str),
            id=_get(data, "id", str),
            name=_get(data, "name", str),
            points=float(_get(data, "points", (int, float))),
            hidden=_get(data, "hidden", bool),
        )


@dataclass(frozen=True, kw_only=True)
class LayerRow:
    """One line of the student-beside-reference layer table."""

    student: str
    reference: str
    differs: bool
    first_difference: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "reference": self.reference,
            "differs": self.differs,
            "first_difference": self.first_difference,
        }

    @classmethod
    def from_json(cls, data: Any) -> LayerRow:
        return cls(
            student=_get(data, "student", str),
            reference=_get(data, "reference", str),
            differs=_get(data, "differs", bool),
            first_difference=_get(data, "first_difference", bool),
        )


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """Why a check did not pass: its kind, expected and found, what to try, and the evidence."""

    failure: FailureKind
    message: str
    hints: tuple[str, ...] = ()
    layers: tuple[LayerRow, ...] = field(default=())
    output: str = ""  # what the student's code printed (head and tail)
    traceback: str = ""  # the student's own frames, when their code raised

    def to_json(self) -> dict[str, Any]:
        return {
            "failure": self.failure.value,
            "message": self.message,
            "hints": list(self.hints),
            "layers": [row.to_json() for row in self.layers],
            "output": self.output,
            "traceback": self.traceback,
        }

    @classmethod
    def from_json(cls, data: Any) -> Feedback:
        try:
            failure = FailureKind(_get(data, "failure", str))
        except ValueError:
            raise RecordError("record field 'failure' is not a failure kind") from None
        hints = _get(data, "hints", list)
        if not all(isinstance(hint, str) for hint in hints):
            raise RecordError("record field 'hints' holds a non-string")
        return cls(
            failure=failure,
            message=_get(data, "message", str),
            hints=tuple(hints),
            layers=tuple(LayerRow.from_json(row) for row in _get(data, "layers", list)),
            output=_get(data, "output", str),
            traceback=_get(data, "traceback", str),
        )


@dataclass(frozen=True, kw_only=True)
class CheckRecord:
    """One check as the judge ran it: the check, why it did not pass (if it did not), notes."""

    check: CollectedCheck
    feedback: Feedback | None = None
    skip_reason: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check.to_json(),
            "feedback": None if self.feedback is None else self.feedback.to_json(),
            "skip_reason": self.skip_reason,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Any) -> CheckRecord:
        feedback = _get(data, "feedback", (dict, type(None)))
        return cls(
            check=CollectedCheck.from_json(_get(data, "check", dict)),
            feedback=None if feedback is None else Feedback.from_json(feedback),
            skip_reason=_get(data, "skip_reason", str),
            notes=dict(_get(data, "notes", dict)),
        )
