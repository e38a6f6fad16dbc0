"""Grading on a Dask cluster: the same isolated grading, one task per submission.

A task carries the submission's files (a zip of its snapshot); the instructor's course
travels once to every worker, in the ``WarmGrading`` plugin, so workers need no shared
folder and grade with the course the instructor chose, whatever course their installed
grader holds. The plugin keeps a warm parent on each worker (a zygote and this process
prepared once: grader/judge/launch.py), so a task is a forked judge, as in a local
``grade batch``, not a fresh interpreter. A worker whose grader, torch or unpacked course
gives another fingerprint than the instructor's refuses the plugin, and the batch stops with
its reason. The hidden checks' seed is the instructor's, set on every worker. What comes
back is the report as JSON data, parsed by the same model as a local report.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from grader import settings

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


class WarmGrading(WorkerPlugin):
    """On each worker: the instructor's course, unpacked and checked, and a warm parent."""

    name = "grader-warm-grading"

    def __init__(self, *, course: bytes, fingerprint: str, facts_seed: str) -> None:
        self.course = course
        self.fingerprint = fingerprint
        self.facts_seed = facts_seed
        self.course_dir: Path | None = None
        self.warm: Any = None

    def setup(self, worker: Any = None) -> None:
        from grader.fingerprint import fingerprint
        from grader.judge.launch import WarmParent

        course_dir = unpacked_course(self.course)
        found = fingerprint(course_dir)
        if found != self.fingerprint:
            from grader import __version__

            raise RuntimeError(
                f"this worker grades with another grader, torch or course (grader {__version__}, "
                f"fingerprint {found[:12]}, the instructor's {self.fingerprint[:12]}): install the "
                "instructor's grader and torch version on every worker"
            )
        os.environ["GRADER_FACTS_SEED"] = self.facts_seed  # the hidden checks' seed
        self.course_dir = course_dir
        self.warm = WarmParent(course_dir=course_dir)

    def teardown(self, worker: Any = None) -> None:
        if self.warm is not None:
            self.warm.close()


def warm_grading(course_dir: Path) -> WarmGrading:
    """The plugin for this instructor's course, fingerprint and hidden seed."""
    from grader.fingerprint import fingerprint

    return WarmGrading(
        course=pack_course(course_dir), fingerprint=fingerprint(course_dir), facts_seed=settings.facts_seed()
    )


def grade_packed(
    archive: bytes,
    *,
    homework: str,
    assignments: list[str],
    timeout_s: float,
    fingerprint: str,
    language: str | None = None,
) -> dict[str, Any]:
    """Runs on a worker: unpack the files and grade them exactly as ``grade submit`` does, in a
    judge forked from the worker's warm parent."""
    from grader.grade import submit
    from grader.intake import extract

    plugin = get_worker().plugins.get(WarmGrading.name)
    if not isinstance(plugin, WarmGrading) or plugin.fingerprint != fingerprint or plugin.course_dir is None:
        raise RuntimeError("this worker has not set up the instructor's course (the WarmGrading plugin)")
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
            course_dir=plugin.course_dir,
            hidden=True,  # as in grade batch
            language=language,
            warm=plugin.warm,
        )
    return report.to_dict()
