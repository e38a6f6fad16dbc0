"""Grading on a Dask cluster: the same isolated grading, one task per submission.

The task carries the submission's files (a zip of its snapshot), so workers need no shared
folder, only the same grader and course installed. What comes back is the report as JSON
data, parsed by the same model as a local report.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from grader import settings


def pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def grade_packed(archive: bytes, *, assignments: list[str], timeout_s: float) -> dict[str, Any]:
    """Runs on a worker: unpack the files and grade them exactly as ``grade submit`` does."""
    from grader.grade import submit
    from grader.intake import extract

    with tempfile.TemporaryDirectory(prefix="grader-remote-") as folder:
        zipped = Path(folder) / "submission.zip"
        zipped.write_bytes(archive)
        unpacked = Path(folder) / "submission"
        unpacked.mkdir()
        report = submit(
            path=extract(zipped, unpacked),
            assignments=assignments,
            timeout_s=timeout_s,
            course_dir=settings.DEFAULT_COURSE_DIR,
            hidden=True,  # as in grade batch
        )
    return report.to_dict()
