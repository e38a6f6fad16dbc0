"""Why a check did not pass: one enum shared by the sandbox, the checks, the hints and the report.

A kind is decided where the fact is known — the child's exception handler, the judge's
timeout, the exit status the zygote reports, a check's comparison — and travels as this
enum's value. Nothing downstream reads a message's words to find out what happened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from grader import settings


class FailureKind(enum.StrEnum):
    # Student code raised; the child sends the student's own traceback with these.
    MISSING_MODULE = "missing_module"
    SYNTAX_ERROR = "syntax_error"
    IMPORT_ERROR = "import_error"
    MISSING_BUILDER = "missing_builder"
    NOT_IMPLEMENTED = "not_implemented"
    BUILDER_RAISED = "builder_raised"
    NOT_A_MODULE = "not_a_module"
    FORWARD_RAISED = "forward_raised"
    LOAD_WEIGHTS_FAILED = "load_weights_failed"
    # A limit of the sandbox stopped student code.
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    CPU_LIMIT = "cpu_limit"
    OTHER_LIMIT = "other_limit"  # open files, processes, size of a written file
    # The process running student code ended, or broke the grader's code beside it.
    EXITED = "exited"
    SIGNAL = "signal"
    CHILD_CODE_FAILED = "child_code_failed"
    # What the child sent was not a well-formed answer.
    PROTOCOL = "protocol"
    # The submission's module does not do what a check asks.
    CHECK_FAILED = "check_failed"
    # The grader's own failures: no verdict on the student.
    BAD_REQUEST = "bad_request"
    SANDBOX_SETUP = "sandbox_setup"
    GRADER_BUG = "grader_bug"

    @property
    def blames_student(self) -> bool:
        """A failed check (the submission's fault) rather than an error (the grader's)."""
        return self not in _GRADERS


_GRADERS = frozenset({FailureKind.BAD_REQUEST, FailureKind.SANDBOX_SETUP, FailureKind.GRADER_BUG})

#: What a child may say about itself. Everything else is decided by the judge: a child
#: cannot claim a timeout, a signal, or that the grader is at fault.
CHILD_KINDS = frozenset(
    {
        FailureKind.MISSING_MODULE,
        FailureKind.SYNTAX_ERROR,
        FailureKind.IMPORT_ERROR,
        FailureKind.MISSING_BUILDER,
        FailureKind.NOT_IMPLEMENTED,
        FailureKind.BUILDER_RAISED,
        FailureKind.NOT_A_MODULE,
        FailureKind.FORWARD_RAISED,
        FailureKind.LOAD_WEIGHTS_FAILED,
        FailureKind.MEMORY_LIMIT,
        FailureKind.OTHER_LIMIT,
        FailureKind.EXITED,
        FailureKind.CHILD_CODE_FAILED,
        FailureKind.BAD_REQUEST,
    }
)


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Why a request to student code got no good answer."""

    kind: FailureKind
    message: str
    where: str = ""  # file:line in the submission, where known
    traceback: str = ""  # the student's own frames, innermost last
    output: str = ""  # what the student's code printed (head and tail)


def mebibytes(size: int) -> str:
    return f"{size / 1024**3:g} GiB" if size >= 1024**3 else f"{size / 1024**2:g} MiB"


def memory_limit_message(stage: str, where: str, limit_bytes: int = settings.CHILD_MEMORY_BYTES) -> str:
    return (
        f"your code used more than {mebibytes(limit_bytes)} of memory, the grader's limit, "
        f"during {stage}{at(where)}."
    )


def cpu_limit_message() -> str:
    return (
        f"your code used more than {settings.CHILD_LIMITS['cpu_s']} s of CPU time, the grader's limit, "
        "and was stopped."
    )


def open_files_message(stage: str, where: str) -> str:
    return (
        f"your code opened more than {settings.CHILD_LIMITS['open_files']} files at once, the grader's "
        f"limit, during {stage}{at(where)}."
    )


def processes_message(stage: str, where: str) -> str:
    return (
        f"your code started more than {settings.CHILD_LIMITS['processes']} processes, the grader's "
        f"limit, during {stage}{at(where)}."
    )


def file_size_message(stage: str, where: str) -> str:
    return (
        f"your code wrote a file larger than {mebibytes(settings.CHILD_LIMITS['file_bytes'])}, the "
        f"grader's limit, during {stage}{at(where)}."
    )


def timeout_message(timeout_s: float) -> str:
    return f"your code did not finish within {timeout_s:g} s, the grader's limit, and was stopped."


def at(where: str) -> str:
    return f" at {where}" if where else ""
