"""What a failed check tells the student: a message, a hint, and a layer table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn


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


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """Expected, found, and what to try; the table is shown for shape and behaviour failures."""

    message: str
    hints: tuple[str, ...] = ()
    layers: tuple[LayerRow, ...] = field(default=())
    output: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "hints": list(self.hints),
            "layers": [row.to_json() for row in self.layers],
            "output": self.output,
        }


class CheckFailed(AssertionError):
    """The submission does not do what the check asks (a student's failure, not the grader's)."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.message)
        self.feedback = feedback


def fail(
    message: str,
    *,
    hints: tuple[str, ...] | list[str] = (),
    layers: tuple[LayerRow, ...] = (),
    output: str = "",
) -> NoReturn:
    unique = tuple(dict.fromkeys(h for h in hints if h))
    raise CheckFailed(Feedback(message=message, hints=unique, layers=layers, output=output))
