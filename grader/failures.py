"""Why a check did not pass: one enum shared by the sandbox, the checks, the hints and the report.

A kind is decided where the fact is known — the child's exception handler, the judge's
timeout, the exit status the zygote reports, a check's comparison — and travels as this
enum's value. Nothing downstream reads a message's words to find out what happened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from grader import settings
from grader.i18n import N_, _


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


#: The stages of student code a message names ("during forward"), as a student reads them.
_STAGES = {"import": N_("import"), "build": N_("build"), "forward": N_("forward"), "grading": N_("grading")}


def stage_text(stage: str) -> str:
    return _(_STAGES[stage]) if stage in _STAGES else stage


def memory_limit_message(stage: str, where: str, limit_bytes: int = settings.CHILD_MEMORY_BYTES) -> str:
    limit = mebibytes(limit_bytes)
    if where:
        return _(
            "your code used more than {limit} of memory, the grader's limit, during {stage} at {where}."
        ).format(limit=limit, stage=stage_text(stage), where=where)
    return _("your code used more than {limit} of memory, the grader's limit, during {stage}.").format(
        limit=limit, stage=stage_text(stage)
    )


def cpu_limit_message() -> str:
    return _("your code used more than {seconds} s of CPU time, the grader's limit, and was stopped.").format(
        seconds=settings.CHILD_LIMITS["cpu_s"]
    )


def open_files_message(stage: str, where: str) -> str:
    limit = settings.CHILD_LIMITS["open_files"]
    if where:
        return _(
            "your code opened more than {limit} files at once, the grader's limit, during {stage} at {where}."
        ).format(limit=limit, stage=stage_text(stage), where=where)
    return _("your code opened more than {limit} files at once, the grader's limit, during {stage}.").format(
        limit=limit, stage=stage_text(stage)
    )


def processes_message(stage: str, where: str) -> str:
    limit = settings.CHILD_LIMITS["processes"]
    if where:
        return _(
            "your code started more than {limit} processes, the grader's limit, during {stage} at {where}."
        ).format(limit=limit, stage=stage_text(stage), where=where)
    return _("your code started more than {limit} processes, the grader's limit, during {stage}.").format(
        limit=limit, stage=stage_text(stage)
    )


def file_size_message(stage: str, where: str) -> str:
    limit = mebibytes(settings.CHILD_LIMITS["file_bytes"])
    if where:
        return _(
            "your code wrote a file larger than {limit}, the grader's limit, during {stage} at {where}."
        ).format(limit=limit, stage=stage_text(stage), where=where)
    return _("your code wrote a file larger than {limit}, the grader's limit, during {stage}.").format(
        limit=limit, stage=stage_text(stage)
    )


def timeout_message(timeout_s: float) -> str:
    return _("your code did not finish within {seconds} s, the grader's limit, and was stopped.").format(
        seconds=f"{timeout_s:g}"
    )


def at(where: str) -> str:
    return f" at {where}" if where else ""
