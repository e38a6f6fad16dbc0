"""A course's policy on what a submission may be built from (``forbid`` in exercise.toml).

Judged from the classes the child built the module from, never by reading source: a
builder that returns ``torchvision.models.resnet50()`` is made of
``torchvision.models.resnet.ResNet``, whatever its file says. Every check of the
exercise then fails with the reason, so the exercise scores 0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from grader.checks.feedback import fail
from grader.i18n import _
from grader.judge.session import Student
from grader.sandbox.client import SubmissionFailed

F = TypeVar("F", bound=Callable[..., Any])


def forbidden_classes(student: Student) -> list[str]:
    """The classes of the student's module that come from a forbidden module."""
    forbid = student.exercise.forbid
    if not forbid:
        return []
    try:
        structure = student.structure("default")
    except SubmissionFailed:
        return []  # the check itself reports why the module could not be built
    return [name for name in structure.classes if any(name == f or name.startswith(f + ".") for f in forbid)]


def enforced(check: F) -> F:
    """Run ``check`` only for a module the exercise's policy allows."""

    @functools.wraps(check)
    def wrapper(student: Student, *args: Any, **kwargs: Any) -> Any:
        found = forbidden_classes(student)
        if found:
            sources = ", ".join(sorted({name.rsplit(".", 2)[0] for name in found}))
            fail(
                _(
                    "Your builder returns a network made of {classes} from {sources}: this exercise asks "
                    "you to build the network yourself from layers (the course forbids {forbidden} here), "
                    "so it scores 0."
                ).format(
                    classes=", ".join(f"`{n}`" for n in found[:3]),
                    sources=sources,
                    forbidden=", ".join(student.exercise.forbid),
                ),
                hints=[
                    _("Write the network's classes in your own file, from nn.Conv2d, nn.Linear and the like.")
                ],
            )
        return check(student, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
