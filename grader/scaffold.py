"""``grade new``: scaffold an exercise that grades end to end before its instructor edits it.

The four files an exercise needs (reference, stub, description, checks) are written from
``grader/templates/new_exercise/`` around a small placeholder module, so ``grade freeze`` and
``grade submit reference/<homework>`` work at once and the instructor changes a working exercise
instead of assembling one. The id joins the homework's ``exercises`` list by a minimal edit of
``homework.toml``, so its comments and layout stay the instructor's.
"""

from __future__ import annotations

import keyword
import re
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.course import Course, Homework
from grader.errors import UsageError
from grader.report.json_report import write_text

TEMPLATES_DIR = settings.TEMPLATES_DIR / "new_exercise"

#: Modules a student's module must not stand in for: the child puts the submission first on
#: sys.path, and pytest reads any conftest.py.
_SHADOWED = frozenset(sys.stdlib_module_names) | {"torch", "grader", "pytest", "numpy", "conftest"}

#: ``exercises = [...]`` in homework.toml, up to its closing bracket (ids hold no ``]``).
_EXERCISES_LIST = re.compile(r"^(?P<head>exercises\s*=\s*\[)(?P<body>[^\]]*)\]", re.MULTILINE)
_STRING = re.compile(r""""[^"\n]*"|'[^'\n]*'""")


@dataclass(frozen=True, kw_only=True)
class ScaffoldedExercise:
    """What ``grade new`` wrote: the new files, and the homework.toml it listed the id in."""

    id: str
    homework: str
    reference: Path
    stub: Path
    description: Path  # exercise.toml
    checks: Path
    listed_in: Path

    @property
    def created(self) -> tuple[Path, ...]:
        return (self.reference, self.stub, self.description, self.checks)


def new_exercise(
    *, exercise: str, homework: str, course_dir: Path = settings.DEFAULT_COURSE_DIR
) -> ScaffoldedExercise:
    """Write the files of ``exercise`` in ``homework`` and list it there; refuse to overwrite."""
    course = Course.load(course_dir)
    chosen = course.homework(homework)
    _check_id(exercise, course)
    targets = _targets(chosen, exercise)
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing:
        raise UsageError(f"{', '.join(existing)} already exists: choose another id, or remove it first")
    listing = chosen.directory / "homework.toml"
    listed = _listed(listing.read_text(encoding="utf-8"), exercise, listing)
    values = {
        "id": exercise,
        "homework": homework,
        "builder": f"build_{exercise}",
        "title": exercise.replace("_", " ").capitalize(),
    }
    for template, path in targets.items():
        write_text(_render(template, values), path)
    write_text(listed, listing)
    return ScaffoldedExercise(
        id=exercise,
        homework=homework,
        reference=targets["reference.py.tmpl"],
        stub=targets["stub.py.tmpl"],
        description=targets["exercise.toml.tmpl"],
        checks=targets["checks.py.tmpl"],
        listed_in=listing,
    )


def _check_id(exercise: str, course: Course) -> None:
    """The id names a module, a builder and a folder, and reports name exercises by it alone."""
    if not exercise.isidentifier() or keyword.iskeyword(exercise):
        raise UsageError(
            f"{exercise!r} is not a Python identifier: an exercise's id is its module's name "
            "(letters, digits and underscores, not starting with a digit), e.g. lenet_block"
        )
    if exercise in _SHADOWED:
        raise UsageError(
            f"{exercise!r} is the name of a module the grader, pytest or torch loads: a student's "
            f"{exercise}.py would stand in for it. Choose another id, e.g. {exercise}_block"
        )
    taken = [e for e in course.exercises if e.id == exercise]
    if taken:
        raise UsageError(
            f"the course already has an exercise {exercise!r} (in {taken[0].homework}): "
            "exercise ids are unique in the course"
        )


def _targets(homework: Homework, exercise: str) -> dict[str, Path]:
    """Each template and the file it becomes."""
    folder = homework.directory / exercise
    return {
        "reference.py.tmpl": homework.reference_dir / f"{exercise}.py",
        "stub.py.tmpl": homework.template_dir / f"{exercise}.py",
        "exercise.toml.tmpl": folder / "exercise.toml",
        "checks.py.tmpl": folder / f"test_{exercise}.py",
    }


def _render(template: str, values: dict[str, str]) -> str:
    return string.Template((TEMPLATES_DIR / template).read_text(encoding="utf-8")).substitute(values)


def _listed(text: str, exercise: str, path: Path) -> str:
    """homework.toml's text with ``exercise`` appended to its ``exercises`` list and nothing else
    changed; checked by reading it back, since the edit is textual."""
    match, before = _EXERCISES_LIST.search(text), _exercises(text)
    if match is not None and before is not None:
        edited = text[: match.start()] + _appended(match, exercise) + text[match.end() :]
        if _exercises(edited) == [*before, exercise]:
            return edited
    raise UsageError(
        f"cannot add {exercise!r} to the exercises list of {path}: add it there by hand, "
        "or write the list on one line, then run `grade new` again"
    )


def _exercises(text: str) -> list[str] | None:
    """The ``exercises`` list of a homework.toml's text (None: unreadable)."""
    try:
        listed = tomllib.loads(text).get("exercises")
    except tomllib.TOMLDecodeError:
        return None
    return listed if isinstance(listed, list) else None


def _appended(match: re.Match[str], exercise: str) -> str:
    """The ``exercises = [...]`` text with one more item, in the list's own layout."""
    head, body = match["head"], match["body"]
    item = f'"{exercise}"'
    if not body.strip():
        return f"{head}{item}]"
    if "\n" not in body:
        return f"{head}{body.rstrip().removesuffix(',')}, {item}]"
    # One item a line: a comma after the last item, then the new one on a line of its own.
    items = list(_STRING.finditer(body))
    if items and not body[items[-1].end() :].lstrip().startswith(","):
        body = body[: items[-1].end()] + "," + body[items[-1].end() :]
    lines = body.split("\n")
    indent = next((line[: len(line) - len(line.lstrip())] for line in lines[1:] if line.strip()), "    ")
    closing = lines[-1]
    if closing.strip():  # the bracket closes on the last item's line
        return f"{head}{body.rstrip()} {item}]"
    items_text = "\n".join(lines[:-1])
    return f"{head}{items_text}\n{indent}{item},\n{closing}]"
