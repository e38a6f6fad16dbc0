"""A digest of everything that decides a grade besides the submission: what caches are keyed on.

Stored facts (grader/facts.py) and a batch's reports (grader/batch.py) are reused only
while the code that made them is unchanged. ``__version__`` cannot say so (it stays the
same while the code changes), so the key is a digest of the code itself: the grader's
package, the course (its homeworks, each exercise's description and checks, the reference
solutions) and the torch that runs them.

It is computed once per process: hashing the ~310 KB of source took 5-7 ms on a 2-core
EPYC (a cached call, 0.08 ms), and torch's version is read from its file rather than by
importing torch (seconds), so ``grade submit``'s parent process stays light.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

from grader import settings

#: The grader's own files that can change a grade: code, the judge's ini file, the report's
#: schema. Everything under templates/ also counts (shipped workflows and scripts).
_PACKAGE_SUFFIXES = frozenset({".py", ".ini", ".json"})


def fingerprint(course_dir: Path = settings.DEFAULT_COURSE_DIR) -> str:
    """The digest for grading with ``course_dir`` by this grader and torch (hex SHA-256).

    Cached for the process: a grader changed while a process runs is a new grader only
    for the next process.
    """
    return _cached(settings.PACKAGE_DIR.resolve(), course_dir.resolve())


def forget() -> None:
    """Forget the cached digests, as a new process would (for tests that change files)."""
    _cached.cache_clear()


@functools.cache
def _cached(package_dir: Path, course_dir: Path) -> str:
    return compute_fingerprint(package_dir=package_dir, course_dir=course_dir)


def compute_fingerprint(*, package_dir: Path, course_dir: Path) -> str:
    """The digest, uncached: each file's label, size and bytes in a sorted, stable order."""
    digest = hashlib.sha256()
    for label, path in (
        *_labelled("grader", package_dir, _package_files(package_dir)),
        *_labelled("course", course_dir, _course_files(course_dir)),
    ):
        data = path.read_bytes()
        # The label and the length delimit each file, so no two sets of files hash alike.
        digest.update(f"{label}\0{len(data)}\0".encode() + data)
    digest.update(b"torch\0" + _torch_version())
    return digest.hexdigest()


def _labelled(prefix: str, root: Path, files: Iterator[Path]) -> list[tuple[str, Path]]:
    # Sorted by the relative POSIX path, so the order is the same on every machine and
    # in every folder the course is copied to.
    return sorted((f"{prefix}/{path.relative_to(root).as_posix()}", path) for path in files)


def _package_files(package_dir: Path) -> Iterator[Path]:
    for path in package_dir.rglob("*"):
        parts = path.relative_to(package_dir).parts
        if not path.is_file() or "__pycache__" in parts:
            continue
        if path.suffix in _PACKAGE_SUFFIXES or parts[0] == "templates":
            yield path


def _course_files(course_dir: Path) -> Iterator[Path]:
    """The list of homeworks, each homework.toml, each exercise folder's files (exercise.toml,
    its checks and their helpers) and the reference code of every homework when present.

    Frozen facts (``facts/``) are left out: they are derived from what is hashed here (the
    reference, exercise.toml and torch), and used only while their own digest of those matches.
    """
    assignments = course_dir / "assignments"
    yield from assignments.glob("course.toml")
    yield from assignments.glob("*/homework.toml")
    for exercise in sorted(assignments.glob("*/*/exercise.toml")):
        folder = exercise.parent
        for path in folder.rglob("*"):
            parts = path.relative_to(folder).parts
            if path.is_file() and parts[0] != "facts" and "__pycache__" not in parts:
                yield path
    yield from (course_dir / "reference").glob("*/*.py")


def _torch_version() -> bytes:
    """torch's version file (version, git commit, CUDA build), read without importing torch,
    which takes seconds; what ``torch.__version__`` comes from."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return b"no torch"
    try:
        return (Path(spec.origin).parent / "version.py").read_bytes()
    except OSError:
        return b"torch without version.py"
