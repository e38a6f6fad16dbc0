"""A submission folder, copied into a private snapshot before anything reads it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader import settings
from grader.errors import UsageError
from grader.report.model import Submission

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
