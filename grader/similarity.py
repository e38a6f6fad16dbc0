"""Pairs of submissions ranked by the code they share, exercise by exercise: evidence for a
person to read, never a verdict.

The comparing is copydetect's (PyPI ``copydetect``, MIT; the ``similarity`` extra), chosen
because it is Python and runs in this process (no service to send students' code to, as
MOSS needs, and no JVM, as JPlag does); it fingerprints code by winnowing, the algorithm of
MOSS (Schleimer, Wilkerson and Aiken, SIGMOD 2003), after tokenising it so that renaming
variables and reformatting change nothing; and it excludes boilerplate — here the template
the students were handed (``student_template/<homework>/<module>.py``), so code every
student started from is never evidence. It also gives the shared passages' positions, which
the gradebook page highlights.

Each exercise is compared on its own: a student's module for it, or — for a notebook — the
statements of the notebook that its builder needs (the slice grading ran), as the student
wrote them, never the module the grader generated around them.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.course import Exercise, Homework
from grader.errors import UsageError
from grader.intake import IntakeError, extract
from grader.notebook.read import read as read_notebook
from grader.notebook.slice import needed, parse
from grader.submission import notebook_in

#: Shared passages shorter than this many tokenised characters are noise (copydetect's default).
NOISE_CHARS = 25
#: Winnowing window: 1 keeps every k-gram, so the result does not depend on which hashes
#: Python's randomised ``hash`` happens to pick in this process (copydetect hashes with it),
#: and code files of a few dozen lines are small enough to keep them all.
WINDOW = 1
#: The pairs of each exercise the gradebook page shows side by side.
PAIRS_SHOWN = 5

INSTALL_HINT = "pip install 'grader[similarity]'"

Span = tuple[int, int]  # [start, end) in a source's text


@dataclass(frozen=True, kw_only=True)
class Source:
    """What one student wrote for one exercise."""

    student: str
    text: str
    origin: str  # where it comes from, for the reader: "vgg_block.py", "homework.ipynb, cells 3, 5"


@dataclass(frozen=True, kw_only=True)
class SimilarPair:
    first: Source
    second: Source
    shared: tuple[float, float]  # the share of each one's code (beyond the template) found in the other
    first_passages: tuple[Span, ...]
    second_passages: tuple[Span, ...]

    @property
    def score(self) -> float:
        """The larger share: a short submission copied into a longer one still ranks high."""
        return max(self.shared)

    def to_dict(self) -> dict[str, Any]:
        return {
            "students": [self.first.student, self.second.student],
            "score": round(self.score, 3),
            "shared": [round(s, 3) for s in self.shared],
        }


@dataclass(frozen=True, kw_only=True)
class ExerciseSimilarity:
    exercise: str
    compared: int  # students with code for this exercise
    pairs: tuple[SimilarPair, ...]  # pairs sharing any code beyond the template, highest first

    def to_dict(self) -> dict[str, Any]:
        return {"compared": self.compared, "pairs": [p.to_dict() for p in self.pairs]}


@dataclass(frozen=True, kw_only=True)
class Similarity:
    exercises: tuple[ExerciseSimilarity, ...]

    def to_dict(self) -> dict[str, Any]:
        return {e.exercise: e.to_dict() for e in self.exercises}


def require_copydetect() -> None:
    """A usage error, before any grading, where copydetect is not installed."""
    if importlib.util.find_spec("copydetect") is None:
        raise UsageError(f"--similarity needs copydetect, which is not installed: {INSTALL_HINT}")


def compare_class(
    submissions: Iterable[tuple[str, Path]], homework: Homework, exercises: Sequence[Exercise]
) -> Similarity:
    """Rank the pairs of ``submissions`` (student id, the entry as handed in) per exercise."""
    by_exercise: dict[str, list[Source]] = {e.id: [] for e in exercises}
    for student, path in submissions:
        for exercise_id, source in submission_sources(student, path, homework, exercises).items():
            by_exercise[exercise_id].append(source)
    return Similarity(
        exercises=tuple(
            ExerciseSimilarity(
                exercise=e.id,
                compared=len(by_exercise[e.id]),
                pairs=rank_pairs(by_exercise[e.id], template=_template(homework, e)),
            )
            for e in exercises
        )
    )


def rank_pairs(sources: Sequence[Source], *, template: str = "") -> tuple[SimilarPair, ...]:
    """Every pair of ``sources`` that shares code beyond ``template``, highest share first."""
    from copydetect import CodeFingerprint, compare_files

    boilerplate = list(CodeFingerprint("template.py", NOISE_CHARS, 1, fp=io.StringIO(template)).hashes)
    prints = [
        CodeFingerprint(
            f"{s.student}.py", NOISE_CHARS, WINDOW, boilerplate, language="python", fp=io.StringIO(s.text)
        )
        for s in sources
    ]
    pairs = []
    for (a, fa), (b, fb) in itertools.combinations(zip(sources, prints, strict=True), 2):
        _, shared, (slices_a, slices_b) = compare_files(fa, fb)
        if max(shared) <= 0:
            continue
        pairs.append(
            SimilarPair(
                first=a,
                second=b,
                shared=(float(shared[0]), float(shared[1])),
                first_passages=_spans(slices_a),
                second_passages=_spans(slices_b),
            )
        )
    pairs.sort(key=lambda p: (-p.score, p.first.student, p.second.student))
    return tuple(pairs)


def _spans(slices: Any) -> tuple[Span, ...]:
    """copydetect's 2×N array of starts and ends as (start, end) pairs."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return ()
    return tuple((int(start), int(end)) for start, end in zip(slices[0], slices[1], strict=True))


def _template(homework: Homework, exercise: Exercise) -> str:
    path = homework.template_dir / f"{exercise.module}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def submission_sources(
    student: str, path: Path, homework: Homework, exercises: Sequence[Exercise]
) -> dict[str, Source]:
    """Exercise id → what ``student`` wrote for it, read from the entry as handed in (a
    folder, a zip, a notebook); an entry that cannot be read gives nothing (grading said why)."""
    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as work:
        try:
            source = extract(path, Path(work)) if path.suffix == ".zip" else path
            if source.is_file():
                return _notebook_sources(student, source, exercises)
            folder = homework.submission_folder(source)
            notebook = notebook_in(folder, homework)
            if notebook is not None:
                return _notebook_sources(student, notebook, exercises)
            return _module_sources(student, folder, exercises)
        except (IntakeError, UsageError, OSError, UnicodeDecodeError):
            return {}


def _module_sources(student: str, folder: Path, exercises: Sequence[Exercise]) -> dict[str, Source]:
    found = {}
    for exercise in exercises:
        module = folder / f"{exercise.module}.py"
        if module.is_file() and not module.is_symlink():
            text = module.read_text(encoding="utf-8")
            found[exercise.id] = Source(student=student, text=text, origin=module.name)
    return found


def _notebook_sources(student: str, notebook: Path, exercises: Sequence[Exercise]) -> dict[str, Source]:
    """Each exercise's slice of the notebook: the statements its builder needs, in notebook order."""
    parsed = parse(read_notebook(notebook))
    found = {}
    for exercise in exercises:
        taken = sorted(needed(parsed, [exercise.builder]))
        if not taken:
            continue
        statements = [parsed.statements[i] for i in taken]
        cells = ", ".join(str(n) for n in sorted({s.cell.number for s in statements}))
        found[exercise.id] = Source(
            student=student,
            text="\n\n".join(s.source for s in statements) + "\n",
            origin=notebook.name if parsed.notebook.script else f"{notebook.name}, cells {cells}",
        )
    return found
