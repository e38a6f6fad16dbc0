"""Grading on a Dask cluster: the same isolated grading, one task per submission.

A task carries the submission's files (a zip of its snapshot) and the instructor's course
(one zip, scattered to every worker once), so workers need no shared folder and grade
with the course the instructor chose, whatever course their installed grader holds. What
comes back is the report as JSON data, parsed by the same model as a local report.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

#: What of a course folder grading reads: every homework's checks and facts, and the reference.
COURSE_FOLDERS = ("assignments", "reference")

#: Courses unpacked on this worker, by the digest of their zip (kept for the worker's life).
_UNPACKED: dict[str, Path] = {}


def pack(folder: Path, *, only: tuple[str, ...] = ()) -> bytes:
    """A zip of ``folder``'s files (of its ``only`` subfolders, if given), in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if only and relative.parts[0] not in only:
                continue
            if path.is_file() and "__pycache__" not in relative.parts:
                zipped.write(path, relative.as_posix())
    return buffer.getvalue()


def pack_course(course_dir: Path) -> bytes:
    return pack(course_dir, only=COURSE_FOLDERS)


def unpacked_course(archive: bytes) -> Path:
    """The course in ``archive``, unpacked once per worker."""
    digest = hashlib.sha256(archive).hexdigest()
    if digest not in _UNPACKED:
        folder = Path(tempfile.mkdtemp(prefix="grader-course-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        folder.chmod(0o755)  # the judge reads it; children never do (it is protected)
        zipped = folder / "course.zip"
        zipped.write_bytes(archive)
        course = folder / "course"
        course.mkdir()
        _extract_course(zipped, course)
        zipped.unlink()
        _UNPACKED[digest] = course
    return _UNPACKED[digest]


def _extract_course(zipped: Path, into: Path) -> None:
    with zipfile.ZipFile(zipped) as archive:
        for member in archive.infolist():
            target = (into / member.filename).resolve()
            # The instructor's own zip, but never written outside its folder all the same.
            if not target.is_relative_to(into.resolve()):
                raise ValueError(f"the course archive holds a path outside it: {member.filename}")
        archive.extractall(into)


def grade_packed(
    archive: bytes,
    *,
    course: bytes,
    homework: str,
    assignments: list[str],
    timeout_s: float,
    language: str | None = None,
) -> dict[str, Any]:
    """Runs on a worker: unpack the files and grade them exactly as ``grade submit`` does."""
    from grader.grade import submit
    from grader.intake import extract

    course_dir = unpacked_course(course)
    with tempfile.TemporaryDirectory(prefix="grader-remote-") as folder:
        zipped = Path(folder) / "submission.zip"
        zipped.write_bytes(archive)
        unpacked = Path(folder) / "submission"
        unpacked.mkdir()
        report = submit(
            path=extract(zipped, unpacked),
            homework=homework,
            assignments=assignments,
            timeout_s=timeout_s,
            course_dir=course_dir,
            hidden=True,  # as in grade batch
            language=language,
        )
    return report.to_dict()
