"""The homework's grades as a file the LMS imports as is: Canvas's gradebook CSV, Moodle's CSV.

Canvas (Canvas's guide "How do I import grades in the Gradebook?"): the import finds each
student by the identity columns of Canvas's own gradebook export (``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, then ``Section``; some institutions have more, such as
``Integration ID``, all before ``Section``); every later column is an assignment named as
Canvas names it, ``Title (id)``. A column Canvas does not know creates a new assignment, and
an imported value overwrites the student's score. So the file holds the export's identity
columns and the homework's one column, nothing else, and only students with a complete grade;
the rows the export has before its students (``Points Possible``) are kept where they were.

Moodle (Moodle's "Grade import" docs, CSV file): the teacher maps one column to users (email
address, ID number, username) and another to a grade item, so the file holds those two.

A submission's id (its GitHub username, say) is matched to the LMS's identity column: the
export's ``SIS Login ID`` (Canvas) or ``Email address`` (Moodle) by default, or the column the
instructor names, through a mapping file where the two differ. Nobody is dropped silently:
submissions with no student in the LMS, students in the LMS with no submission, and matched
students without a complete grade are all listed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Homework
from grader.errors import UsageError
from grader.report.gradebook import GRADED, MISSING, StudentResult
from grader.report.json_report import write_text

CANVAS = "canvas"
MOODLE = "moodle"
FORMATS = (CANVAS, MOODLE)
#: The LMS column holding what a submission's id (or its mapping) names, unless the instructor
#: names another.
DEFAULT_MATCH = {CANVAS: "SIS Login ID", MOODLE: "Email address"}
#: The file written into the gradebook folder.
FILE_NAMES = {CANVAS: "canvas_import.csv", MOODLE: "moodle_import.csv"}

#: Canvas's last identity column: assignments and totals follow it.
_CANVAS_LAST_IDENTITY = "Section"
_CANVAS_POINTS_POSSIBLE = "Points Possible"
#: Canvas's own student for "Student View": in every export, in no class.
_CANVAS_TEST_STUDENTS = frozenset({"Student, Test", "Test Student"})
#: ``Homework 1 (123456)``: an assignment column (totals and read-only scores have no id).
_CANVAS_ASSIGNMENT = re.compile(r"^(?P<title>.*\S)\s*\((?P<id>\d+)\)$")
#: ``Assignment: Homework 1 (Real)``: a Moodle grade item column, with its module and display type.
_MOODLE_ITEM = re.compile(r"^(?:[^:]+:\s*)?(?P<title>.*?)(?:\s*\((?:Real|Percentage|Letter)\))?$")
_MOODLE_IDENTITY = (
    "First name",
    "Last name",
    "Surname",
    "Username",
    "ID number",
    "Institution",
    "Department",
    "Email address",
)
_MOODLE_NOT_ITEMS = (*_MOODLE_IDENTITY, "Last downloaded from this course")


@dataclass(frozen=True, kw_only=True)
class LmsOptions:
    """What the instructor asked for: ``grade batch --export``'s options."""

    format: str
    export: Path | None = None  # the LMS's own gradebook export (--lms-roster)
    match: str | None = None  # the LMS column matched to submissions; default DEFAULT_MATCH
    column: str | None = None  # the homework's column; default the one named for the homework
    mapping: Path | None = None  # submission id → the value of ``match``

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise UsageError(f"no LMS format {self.format!r}: the grader writes {', '.join(FORMATS)}")
        if self.format == CANVAS and self.export is None:
            raise UsageError(
                "--export canvas needs --lms-roster: your Canvas gradebook export (Grades → Export → "
                "Export Entire Gradebook), whose identity columns and assignment name the import needs"
            )
        for option, path in (("--lms-roster", self.export), ("--lms-map", self.mapping)):
            if path is not None and not path.is_file():
                raise UsageError(f"{option}: no such file: {path}")

    @property
    def match_column(self) -> str:
        return self.match or DEFAULT_MATCH[self.format]


@dataclass(frozen=True, kw_only=True)
class LmsGradebook:
    """An LMS's gradebook export as read: its columns, the rows before its students, its students."""

    columns: tuple[str, ...]
    identity: tuple[str, ...]  # the columns that say who a row is
    preamble: tuple[dict[str, str], ...]  # Canvas's "Points Possible" row (and any like it)
    students: tuple[dict[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class LmsPlan:
    """Everything checked before grading starts, so a wrong option costs seconds, not a class."""

    options: LmsOptions
    gradebook: LmsGradebook | None
    column: str  # the homework's column, named as the LMS names it
    identities: dict[str, str] = field(default_factory=dict)  # submission id → LMS identity
    points_possible: float | None = None  # the column's, from Canvas's export


@dataclass(frozen=True, kw_only=True)
class NotExported:
    id: str
    status: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class LmsResult:
    format: str
    file: str
    column: str
    match: str
    exported: int
    scaled: tuple[float, float] | None  # (the homework's points, the LMS column's), when they differ
    unmatched_submissions: tuple[str, ...]  # submission ids with no student in the LMS
    unmatched_students: tuple[str, ...]  # students in the LMS with no submission
    not_exported: tuple[NotExported, ...]  # matched, without a complete grade: left as they are

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "file": self.file,
            "column": self.column,
            "match": self.match,
            "exported": self.exported,
            "scaled": None if self.scaled is None else {"from": self.scaled[0], "to": self.scaled[1]},
            "unmatched_submissions": list(self.unmatched_submissions),
            "unmatched_students": list(self.unmatched_students),
            "not_exported": [{"id": n.id, "status": n.status, "reason": n.reason} for n in self.not_exported],
        }


def plan_export(options: LmsOptions, homework: Homework) -> LmsPlan:
    """Read the export and the mapping, and find the homework's column: usage errors now."""
    gradebook = None
    if options.export is not None:
        reader = read_canvas_export if options.format == CANVAS else read_moodle_export
        gradebook = reader(options.export)
        if options.match_column not in gradebook.identity:
            raise UsageError(
                f"{options.export.name} has no identity column {options.match_column!r} to match "
                f"submissions to (--lms-match); its identity columns are: {', '.join(gradebook.identity)}"
            )
    identities = read_mapping(options.mapping) if options.mapping else {}
    if options.format == CANVAS:
        assert gradebook is not None  # LmsOptions requires the export for Canvas
        column = _canvas_column(gradebook, homework, options.column, options.export)
        return LmsPlan(
            options=options,
            gradebook=gradebook,
            column=column,
            identities=identities,
            points_possible=_canvas_points_possible(gradebook, column),
        )
    if gradebook is not None:
        column = _moodle_column(gradebook, homework, options.column, options.export)
    else:
        column = options.column or homework.title
    return LmsPlan(options=options, gradebook=gradebook, column=column, identities=identities)


def read_canvas_export(path: Path) -> LmsGradebook:
    """Canvas's gradebook export: a header, rows with no ``ID`` (``Points Possible``), students."""
    columns, rows = _read_csv(path)
    if _CANVAS_LAST_IDENTITY not in columns or "ID" not in columns:
        raise UsageError(
            f"{path.name} is not a Canvas gradebook export: it has no {_CANVAS_LAST_IDENTITY!r} and 'ID' "
            "columns (export it from Grades → Export → Export Entire Gradebook)"
        )
    identity = columns[: columns.index(_CANVAS_LAST_IDENTITY) + 1]
    # Every student has a Canvas ID; the rows without one (Points Possible) describe the columns.
    preamble = tuple(r for r in rows if not r.get("ID", "").strip())
    students = tuple(
        r
        for r in rows
        if r.get("ID", "").strip() and r.get("Student", "").strip() not in _CANVAS_TEST_STUDENTS
    )
    return LmsGradebook(columns=columns, identity=identity, preamble=preamble, students=students)


def read_moodle_export(path: Path) -> LmsGradebook:
    """Moodle's grade export as a CSV file (Grades → Export → Plain text file): one row a student."""
    columns, rows = _read_csv(path)
    identity = tuple(c for c in columns if c in _MOODLE_IDENTITY)
    if not identity:
        raise UsageError(
            f"{path.name} is not a Moodle grade export: it has none of the columns "
            f"{', '.join(_MOODLE_IDENTITY)}"
        )
    return LmsGradebook(columns=columns, identity=identity, preamble=(), students=tuple(rows))


def read_mapping(path: Path) -> dict[str, str]:
    """Submission id → LMS identity: a CSV with a header, its first two columns in that order —
    or GitHub Classroom's roster, whose ``identifier`` is what the instructor listed students by."""
    columns, rows = _read_csv(path)
    if "github_username" in columns and "identifier" in columns:
        key, value = "github_username", "identifier"
    elif len(columns) >= 2:
        key, value = columns[0], columns[1]
    else:
        raise UsageError(
            f"{path.name} maps nothing: give two columns, the submission id (GitHub username) and the "
            "student's identity in the LMS (the --lms-match column's value, such as an email address)"
        )
    return {r[key].strip(): r[value].strip() for r in rows if r.get(key, "").strip() and r.get(value, "")}


def _read_csv(path: Path) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    try:
        # utf-8-sig: Excel and some LMS exports start with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise UsageError(f"{path.name} is empty")
    columns = tuple(c.strip() for c in header)
    # Values stay as written: an identity cell goes back to the LMS exactly as it came.
    rows = [dict(zip(columns, row, strict=False)) for row in reader if any(v.strip() for v in row)]
    return columns, rows


def _canvas_column(gradebook: LmsGradebook, homework: Homework, asked: str | None, path: Path | None) -> str:
    points = _points_row(gradebook)
    assignments = [
        c
        for c in gradebook.columns[len(gradebook.identity) :]
        if _CANVAS_ASSIGNMENT.match(c) and points.get(c, "") != "(read only)"
    ]
    return _choose_column(
        assignments,
        asked,
        homework,
        title_of=_canvas_title,
        where=f"{path.name if path else 'the export'} (a Canvas assignment column, 'Title (id)')",
    )


def _canvas_title(column: str) -> str:
    found = _CANVAS_ASSIGNMENT.match(column)
    return found["title"] if found else column


def _moodle_column(gradebook: LmsGradebook, homework: Homework, asked: str | None, path: Path | None) -> str:
    items = [c for c in gradebook.columns if c not in _MOODLE_NOT_ITEMS and not c.startswith("Course total")]
    return _choose_column(
        items,
        asked,
        homework,
        title_of=_moodle_title,
        where=f"{path.name if path else 'the export'} (a Moodle grade item)",
    )


def _moodle_title(column: str) -> str:
    found = _MOODLE_ITEM.match(column)
    return found["title"] if found else column


def _choose_column(
    columns: Sequence[str],
    asked: str | None,
    homework: Homework,
    *,
    title_of: Callable[[str], str],
    where: str,
) -> str:
    """The column asked for (its full name, or its title without Canvas's id), else the one
    whose title starts with the homework's title or id."""
    listed = ", ".join(repr(c) for c in columns) or "none"
    if asked is not None:
        found = [c for c in columns if asked in (c, title_of(c))]
        if len(found) == 1:
            return found[0]
        raise UsageError(
            f"--lms-column {asked!r} names no single column of {where}; its columns are: {listed}. "
            "Importing a column the LMS does not know would create a new assignment: create it in "
            "the LMS first, export again, and name it"
        )
    prefixes = (homework.title.casefold(), homework.id.casefold())
    found = [c for c in columns if title_of(c).casefold().startswith(prefixes)]
    if len(found) == 1:
        return found[0]
    why = "no column" if not found else "several columns"
    raise UsageError(
        f"{why} of {where} is named for homework {homework.id!r} ({homework.title!r}): name the "
        f"homework's column with --lms-column; the columns are: {listed}"
    )


def _points_row(gradebook: LmsGradebook) -> dict[str, str]:
    for row in gradebook.preamble:
        if row.get("Student", "").strip() == _CANVAS_POINTS_POSSIBLE:
            return row
    return {}


def _canvas_points_possible(gradebook: LmsGradebook, column: str) -> float | None:
    try:
        return float(_points_row(gradebook).get(column, "").strip())
    except ValueError:
        return None


def write_lms_import(plan: LmsPlan, students: Sequence[StudentResult], out: Path) -> LmsResult:
    """Write the import file into ``out``; say who was matched, and who was not."""
    match = plan.options.match_column
    graded_max = max((s.report.max_score for s in students if s.status == GRADED and s.report), default=0.0)
    points = plan.points_possible
    scale = points if points and graded_max and points != graded_max else None
    lms_rows = _lms_rows(plan, students)
    written: list[dict[str, str]] = []
    not_exported: list[NotExported] = []
    unmatched: list[str] = []
    taken: dict[str, str] = {}  # LMS identity → the submission whose grade it gets
    for student in students:
        row = lms_rows.get(student.id)
        if student.status == MISSING:
            continue  # on the GitHub roster, no submission: listed as such in the gradebook
        if row is None:
            unmatched.append(student.id)
            continue
        key = _key(row.get(match, ""))
        if key in taken:
            why = f"the same LMS student as {taken[key]} ({row.get(match, '').strip()}): check --lms-map"
            not_exported.append(NotExported(id=student.id, status=student.status, reason=why))
            continue
        taken[key] = student.id
        if student.status != GRADED or student.report is None:
            not_exported.append(NotExported(id=student.id, status=student.status, reason=student.reason))
            continue
        score = student.report.score * scale / graded_max if scale else student.report.score
        written.append(row | {plan.column: f"{round(score, 2):g}"})
    unmatched_students: tuple[str, ...] = ()
    if plan.gradebook is not None:
        unmatched_students = tuple(
            _person(r, match) for r in plan.gradebook.students if _key(r.get(match, "")) not in taken
        )
    file = FILE_NAMES[plan.options.format]
    write_text(_csv_text(plan, written, match), out / file)
    return LmsResult(
        format=plan.options.format,
        file=file,
        column=plan.column,
        match=match,
        exported=len(written),
        scaled=None if scale is None else (graded_max, scale),
        unmatched_submissions=tuple(unmatched),
        unmatched_students=unmatched_students,
        not_exported=tuple(not_exported),
    )


def _lms_rows(plan: LmsPlan, students: Sequence[StudentResult]) -> dict[str, dict[str, str]]:
    """Submission id → its student's row in the LMS (for Moodle without its export, a row made
    of the identity alone)."""
    match = plan.options.match_column
    found = {}
    if plan.gradebook is None:
        for student in students:
            # Without an export nothing checks an identity: only a mapping's, else the ids themselves.
            identity = plan.identities.get(student.id) or ("" if plan.identities else student.id)
            if identity:
                found[student.id] = {match: identity}
        return found
    by_identity = {_key(r.get(match, "")): r for r in plan.gradebook.students if r.get(match, "").strip()}
    for student in students:
        row = by_identity.get(_key(plan.identities.get(student.id) or student.id))
        if row is not None:
            found[student.id] = row
    return found


def _csv_text(plan: LmsPlan, rows: list[dict[str, str]], match: str) -> str:
    gradebook = plan.gradebook
    if plan.options.format == CANVAS and gradebook is not None:
        header = [*gradebook.identity, plan.column]
        rows = [*gradebook.preamble, *rows]
    else:
        header = [match, plan.column]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return buffer.getvalue()


def _key(value: str) -> str:
    """Identities compare as people type them: emails and logins ignore case and spaces."""
    return value.strip().casefold()


def _person(row: dict[str, str], match: str) -> str:
    """A student of the LMS as the instructor knows them: a name, else the matched identity."""
    name = row.get("Student") or " ".join(
        n for n in (row.get("First name"), row.get("Last name") or row.get("Surname")) if n
    )
    identity = row.get(match, "")
    return f"{name} ({identity})" if name and identity else name or identity
