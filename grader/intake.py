"""A class's submissions: one entry per student (a folder, a zip or a notebook), and the roster.

Zips are extracted safely: no absolute paths or ``..``, no links, bounded size and
count (a zip bomb stops at the cap). Student ids are the entries' names less the prefix
they all share (GitHub Classroom names clones ``<assignment>-<username>``).
"""

from __future__ import annotations

import csv
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader import settings


class IntakeError(Exception):
    """One entry cannot be graded (a bad zip, say); the others still are."""


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: str
    name: str
    path: Path | None  # None: on the roster, no submission

    @property
    def is_zip(self) -> bool:
        return self.path is not None and self.path.suffix == ".zip"


@dataclass(frozen=True, kw_only=True)
class Intake:
    entries: tuple[Entry, ...]
    ignored: tuple[str, ...]  # files in the folder that are no submission


def discover(submissions: Path, roster: Path | None = None) -> Intake:
    paths, ignored = [], []
    for path in sorted(submissions.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or (path.is_file() and path.suffix in (".zip", ".ipynb")):
            paths.append(path)
        else:
            ignored.append(path.name)
    names = [p.stem if p.is_file() else p.name for p in paths]
    ids = strip_common_prefix(names)
    people = read_roster(roster) if roster else {}
    entries = [Entry(id=i, name=people.pop(i, ""), path=p) for i, p in zip(ids, paths, strict=True)]
    entries += [Entry(id=i, name=name, path=None) for i, name in sorted(people.items())]
    return Intake(entries=tuple(entries), ignored=tuple(ignored))


def strip_common_prefix(names: list[str]) -> list[str]:
    """``hw1-alice``, ``hw1-bob`` → ``alice``, ``bob``: the shared prefix up to its last dash."""
    if not names:
        return []
    prefix = os.path.commonprefix(names)  # noqa: RUF071 - a prefix of characters is meant
    cut = prefix.rfind("-") + 1
    if cut == 0 or any(len(name) <= cut for name in names):
        return list(names)
    return [name[cut:] for name in names]


def read_roster(path: Path) -> dict[str, str]:
    """GitHub Classroom's roster export: github_username → the identifier (or name) it gives."""
    people: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as file:
        for row in csv.DictReader(file):
            username = (row.get("github_username") or "").strip()
            label = (row.get("name") or row.get("identifier") or "").strip()
            if username:
                people[username] = label
    return people


def extract(archive: Path, destination: Path) -> Path:
    """Extract a zip safely; the folder to grade (a single top-level folder is entered)."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > settings.MAX_SUBMISSION_FILES:
                raise IntakeError(f"{archive.name} holds more than {settings.MAX_SUBMISSION_FILES} files")
            total = 0
            for member in members:
                _check_member(archive, member)
                total += member.file_size
                if total > settings.MAX_SUBMISSION_BYTES:
                    raise IntakeError(
                        f"{archive.name} unpacks to more than {settings.MAX_SUBMISSION_BYTES // 1024**2} MiB"
                    )
            for member in members:
                _extract_member(zipped, member, destination)
    except zipfile.BadZipFile as error:
        raise IntakeError(f"{archive.name} is not a valid zip: {error}") from None
    children = [p for p in destination.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return destination


def _check_member(archive: Path, member: zipfile.ZipInfo) -> None:
    name = PurePosixPath(member.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
        raise IntakeError(f"{archive.name} holds a path outside its folder: {member.filename}")
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise IntakeError(f"{archive.name} holds a link: {member.filename}")


def _extract_member(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, destination: Path) -> None:
    target = destination.joinpath(*PurePosixPath(member.filename.replace("\\", "/")).parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zipped.open(member) as source, target.open("wb") as sink:
        # The sizes in the zip's directory are claims; the cap holds for what really unpacks.
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > settings.MAX_SUBMISSION_BYTES:
                raise IntakeError(f"{member.filename} unpacks past the size cap")
            sink.write(chunk)
