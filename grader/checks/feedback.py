"""How a check fails: with a message, hints, a layer table and the kind of failure."""

from __future__ import annotations

from typing import NoReturn

from grader.failures import FailureKind
from grader.report.record import Feedback, LayerRow


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
    traceback: str = "",
    failure: FailureKind = FailureKind.CHECK_FAILED,
) -> NoReturn:
    unique = tuple(dict.fromkeys(h for h in hints if h))
    raise CheckFailed(
        Feedback(
            failure=failure, message=message, hints=unique, layers=layers, output=output, traceback=traceback
        )
    )
