"""Reports on disk: written whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader.report.model import Report


def write_json(report: Report, path: Path) -> None:
    write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", path)


def write_text(text: str, path: Path) -> None:
    """Write atomically, so a reader (or an interrupted run) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # as an ordinary file, not mkstemp's private 0600
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
