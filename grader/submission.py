"""A submission, copied into a private snapshot before anything reads it: a folder of
modules, or a notebook (or one .py file) turned into the modules its builders need."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.course import Course, Exercise, Homework
from grader.errors import UsageError
from grader.i18n import _
from grader.notebook import read as notebook_read
from grader.notebook.modules import write_modules
from grader.notebook.slice import ParsedNotebook, parse
from grader.report.model import NotebookCells, Submission

# .grader and .github: the grader and workflow a Classroom starter ships beside the student's files.
_SKIPPED_DIRS = {
    "__pycache__",
    ".git",
    ".github",
    ".grader",
    ".ipynb_checkpoints",
    ".venv",
    "venv",
    "node_modules",
}


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    submission: Submission


def require_folder(source: Path) -> None:
    """A usage error unless ``source`` is a folder (checked before reading what it holds)."""
    if not source.exists():
        raise UsageError(f"no such folder: {source}")
    if not source.is_dir():
        raise UsageError(f"not a folder: {source} (pass the folder that holds your .py files)")


def require_submission(source: Path) -> None:
    """A usage error unless ``source`` is a folder, a notebook or a .py file."""
    if not source.exists():
        raise UsageError(_("no such file or folder: {path}").format(path=source))
    if not (source.is_dir() or notebook_read.is_single_file(source)):
        raise UsageError(
            _(
                "cannot grade {path}: pass your notebook (.ipynb), your .py file, "
                "or the folder that holds your .py files"
            ).format(path=source)
        )


def snapshot_notebook(
    source: Path, parsed: ParsedNotebook, destination: Path, exercises: tuple[Exercise, ...]
) -> Snapshot:
    """Write each exercise's module from the notebook (or .py file) ``source``, ``parsed``."""
    written = write_modules(parsed, source.read_bytes(), exercises, destination)
    return Snapshot(
        folder=destination,
        submission=Submission(
            path=str(source.resolve()),
            sha256=written.sha256,
            files=(source.name,),
            notebook=NotebookCells(file=written.file, cells=written.cells),
        ),
    )


def snapshot(source: Path, destination: Path) -> Snapshot:
    """Copy the submission's regular files (no links) and hash them.

    Grading the copy means the student's files never sit under pytest's rootdir
    and cannot change while they are graded.
    """
    require_folder(source)
    files: list[Path] = []
    total = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in _SKIPPED_DIRS for part in relative.parts) or path.is_symlink() or not path.is_file():
            continue
        files.append(relative)
        total += path.stat().st_size
        if len(files) > settings.MAX_SUBMISSION_FILES or total > settings.MAX_SUBMISSION_BYTES:
            raise UsageError(
                f"{source} is too large to grade (more than {settings.MAX_SUBMISSION_FILES} files "
                f"or {settings.MAX_SUBMISSION_BYTES // 1024**2} MiB): submit only your solution files"
            )
    digest = hashlib.sha256()
    for relative in files:
        data = (source / relative).read_bytes()
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digest.update(relative.as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
    return Snapshot(
        folder=destination,
        submission=Submission(
            path=str(source.resolve()),
            sha256=digest.hexdigest(),
            files=tuple(p.as_posix() for p in files),
        ),
    )


def lone_notebook(folder: Path, course: Course) -> Path | None:
    """The one notebook a folder holds where it holds no homework's modules (a Classroom
    repository or a Gradescope upload of a notebook); None otherwise."""
    if any(h.holds_modules(folder) or (folder / h.id).is_dir() for h in course.homeworks):
        return None
    return _single_notebook(folder)


def notebook_in(folder: Path, homework: Homework) -> Path | None:
    """The notebook a folder submission holds instead of the homework's modules (a zip or a
    Classroom repository with one .ipynb); None where it holds modules or no single notebook."""
    if homework.holds_modules(folder):
        return None
    return _single_notebook(folder)


def _single_notebook(folder: Path) -> Path | None:
    found = [
        p
        for p in folder.rglob(f"*{notebook_read.NOTEBOOK_SUFFIX}")
        if not any(part in _SKIPPED_DIRS for part in p.relative_to(folder).parts) and p.is_file()
    ]
    return found[0] if len(found) == 1 else None


def snapshot_entry(
    source: Path, destination: Path, homework: Homework, exercises: tuple[Exercise, ...]
) -> Snapshot:
    """A batch entry's snapshot: a notebook, a folder of modules, or a folder holding one notebook."""
    if source.is_file():
        notebook = source
    else:
        folder = homework.submission_folder(source)
        notebook = notebook_in(folder, homework)
        if notebook is None:
            return snapshot(folder, destination)
    destination.mkdir(parents=True, exist_ok=True)
    parsed = parse(notebook_read.read(notebook))
    return snapshot_notebook(notebook, parsed, destination, exercises)
