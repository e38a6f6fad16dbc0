"""``grade classroom`` and ``grade gradescope``: the course, packed for where students are graded.

Each ships one homework (a Classroom or Gradescope assignment is one homework), as a
course of that homework alone. A Classroom starter becomes each student's own repository,
so it holds the homework's template files, the grader, its checks and frozen facts — never
the reference. Gradescope's autograder is the instructor's, so it also holds the
homework's reference, which the hidden checks need. Both refuse to ship stale facts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import i18n, settings
from grader.course import Course, Homework
from grader.freeze import stale_facts
from grader.i18n import _
from grader.judge.launch import collect_checks
from grader.notebook.template import write_notebook
from grader.report.classroom import runner_id
from grader.report.record import CollectedCheck
from grader.submission import UsageError

#: Where a starter keeps the grader, out of the way of the student's files.
STARTER_GRADER_DIR = ".grader"
#: The students' file in a starter made with ``--notebook``.
STARTER_NOTEBOOK = "homework.ipynb"
WORKFLOW_PATH = ".github/workflows/classroom.yml"

#: untranslated.po: a translator's scratch file (grader.catalogs), never a translation.
_NEVER_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "untranslated.po")


@dataclass(frozen=True, kw_only=True)
class Shipped:
    path: Path
    files: tuple[str, ...]  # relative, POSIX
    visible_points: float
    hidden_points: float


def classroom_starter(
    *,
    out: Path,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    homework: str | None = None,
    language: str | None = None,
    notebook: bool = False,
) -> Shipped:
    """Write the template repository of a GitHub Classroom assignment into ``out`` (new or empty):
    one ``homework``, by default the course's only one. ``language``: the students' (``en``,
    ``ko``), of the README and of the feedback the starter's grader gives; by default the user's
    locale's, else the course's (``grader.i18n``). ``notebook``: the students' file is the
    homework's template notebook (``grade notebook``), not its .py files."""
    course, chosen = _fresh_homework(course_dir, homework)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty: give a new folder for the starter")
    language = course.speak(language)
    checks = collect_checks(course_dir=course.directory, exercises=chosen.exercises)
    out.mkdir(parents=True, exist_ok=True)
    if notebook:
        write_notebook(out=out / STARTER_NOTEBOOK, homework=chosen)
    else:
        for path in sorted(chosen.template_dir.iterdir()):
            if path.is_file():
                shutil.copy2(path, out / path.name)
    _copy_grader(course, chosen, out / STARTER_GRADER_DIR, with_reference=False, language=language)
    values = _values(course, chosen, checks, notebook=STARTER_NOTEBOOK if notebook else None)
    readme = _render(_in_language("student_README.md", language), **values)
    (out / "README.md").write_text(readme, encoding="utf-8")
    workflow = out / WORKFLOW_PATH
    workflow.parent.mkdir(parents=True)
    workflow.write_text(_render("classroom.yml", **values), encoding="utf-8")
    return _shipped(out, checks)


def gradescope_autograder(
    *,
    out: Path,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    homework: str | None = None,
    language: str | None = None,
) -> Shipped:
    """Write Gradescope's autograder zip: setup.sh and run_autograder at its root, then the course
    of one ``homework`` (by default the course's only one). ``language``: of the feedback, as in
    ``classroom_starter``."""
    course, chosen = _fresh_homework(course_dir, homework)
    language = course.speak(language)
    checks = collect_checks(course_dir=course.directory, exercises=chosen.exercises)
    values = _values(course, chosen, checks)
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as folder:
        root = Path(folder)
        _copy_grader(course, chosen, root, with_reference=True, language=language)
        for name in ("setup.sh", "run_autograder"):
            (root / name).write_text(_render(name, **values), encoding="utf-8")
            (root / name).chmod(0o755)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in _files(root):
                info = zipfile.ZipInfo.from_file(root / path, path)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (root / path).read_bytes())
        os.replace(partial, out)
        return _shipped(out, checks, files=tuple(_files(root)))


def _fresh_homework(course_dir: Path, homework: str | None) -> tuple[Course, Homework]:
    course = Course.load(course_dir)
    chosen = course.choose_homework(homework)
    if not chosen.has_reference:
        raise UsageError(f"{chosen.reference_dir} does not exist: ship from the course repository")
    stale = stale_facts(course, chosen)
    if stale:
        raise UsageError(
            f"the frozen facts of {', '.join(stale)} are missing or stale against reference/: "
            "run `grade freeze` (and commit what it writes) first"
        )
    return course, chosen


def _copy_grader(
    course: Course, homework: Homework, destination: Path, *, with_reference: bool, language: str
) -> None:
    """The installable grader: its package, pyproject and README, and a course of ``homework``
    alone: its checks with their facts (and its reference, if asked), its translations, and
    ``language`` as its default, so that feedback is in the language the course was shipped in
    wherever the student's locale names none (a CI runner's ``C.UTF-8``)."""
    source = course.directory
    for name in ("pyproject.toml", "README.md"):
        if not (source / name).is_file():
            raise UsageError(f"{source / name} does not exist: ship from the course repository")
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, destination / name)
    shutil.copytree(settings.PACKAGE_DIR, destination / "grader", ignore=_NEVER_COPIED)
    assignments = destination / "assignments"
    shutil.copytree(homework.directory, assignments / homework.id, ignore=_NEVER_COPIED)
    translations = i18n.course_locale_dir(source)
    if translations.is_dir():
        shutil.copytree(translations, i18n.course_locale_dir(destination), ignore=_NEVER_COPIED)
    listing = (
        f"title = {json.dumps(course.title)}\nhomeworks = [{json.dumps(homework.id)}]\n"
        f"language = {json.dumps(language)}\n"
    )
    (assignments / "course.toml").write_text(listing, encoding="utf-8")
    if with_reference:
        shutil.copytree(homework.reference_dir, destination / "reference" / homework.id, ignore=_NEVER_COPIED)


def _values(
    course: Course, homework: Homework, checks: list[CollectedCheck], *, notebook: str | None = None
) -> dict[str, str]:
    """The templates' values; ``notebook``: the students' one file, where it is a notebook."""
    rows = []
    for exercise in homework.exercises:
        mine = [c for c in checks if c.exercise == exercise.id]
        visible = sum(c.points for c in mine if not c.hidden)
        hidden = sum(c.points for c in mine if c.hidden)
        rows.append(
            f"| {_(exercise.title)} | `{notebook or exercise.module + '.py'}` | `{exercise.builder}()` "
            f"| {visible:g} | {hidden:g} |"
        )
    step = settings.CLASSROOM_STEP
    runners = [runner_id(points) for points in sorted({c.points for c in checks if not c.hidden})]
    for runner in runners:
        if not re.fullmatch(r"[A-Za-z0-9]+", runner):
            raise ValueError(f"Classroom's reporter cannot parse the runner id {runner!r}")
    return {
        "title": f"{_(course.title)}: {_(homework.title)}",
        "student_files": f"`{notebook}`" if notebook else _("the `.py` files of this repository"),
        "language": i18n.language(),
        "visible_total": f"{sum(c.points for c in checks if not c.hidden):g}",
        "hidden_total": f"{sum(c.points for c in checks if c.hidden):g}",
        "exercise_rows": "\n".join(rows),
        "python_version": settings.SHIPPED_PYTHON,
        "torch_requirement": settings.TORCH_REQUIREMENT,
        "torch_index_url": settings.TORCH_CPU_INDEX_URL,
        "step": step,
        "runners": ",".join(runners),
        "reporter_env": "\n".join(
            f'          {runner.upper()}_RESULTS: "${{{{ steps.{step}.outputs.{runner} }}}}"'
            for runner in runners
        ),
    }


def _in_language(name: str, language: str) -> str:
    """The template ``name`` written in ``language`` (``student_README.ko.md`` beside
    ``student_README.md``) where there is one, else ``name``."""
    stem, _dot, suffix = name.partition(".")
    translated = f"{stem}.{language}.{suffix}"
    return translated if (settings.TEMPLATES_DIR / translated).is_file() else name


def _render(name: str, **values: str) -> str:
    # safe_substitute: the shell scripts' own $VARIABLES (upper case) are left alone.
    text = string.Template((settings.TEMPLATES_DIR / name).read_text(encoding="utf-8")).safe_substitute(
        values
    )
    left = [key for key in values if f"${key}" in text]
    if left:
        raise ValueError(f"template {name} left {left} unfilled")
    return text


def _files(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix()


def _shipped(path: Path, checks: list[CollectedCheck], files: tuple[str, ...] | None = None) -> Shipped:
    return Shipped(
        path=path,
        files=files if files is not None else tuple(_files(path)),
        visible_points=sum(c.points for c in checks if not c.hidden),
        hidden_points=sum(c.points for c in checks if c.hidden),
    )
