"""``grade freeze``: compute the reference facts at the public seed and write them beside each exercise.

A course shipped without its reference (a GitHub Classroom starter) grades with
these files. They are data only — JSON and ``torch.save`` tensors read back with
``weights_only=True`` — and say which exercise.toml and reference code they came
from, so a stale file is never used where the reference is present, and
``stale_facts`` (run by the tests and by the builders of starters) names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import settings, silence_missing_numpy
from grader.course import Course, Homework
from grader.facts import FactsStore, FrozenFacts, source_digest
from grader.judge.launch import protected_paths
from grader.judge.session import JudgeSession, Reference
from grader.sandbox.client import default_launcher
from grader.submission import UsageError


@dataclass(frozen=True, kw_only=True)
class FrozenExercise:
    id: str
    configurations: tuple[str, ...]
    files: tuple[Path, ...]

    @property
    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def freeze(
    *,
    course_dir: Path = settings.DEFAULT_COURSE_DIR,
    homework: str | None = None,
    assignments: Sequence[str] = (),
    into: Path | None = None,
) -> list[FrozenExercise]:
    """Write every configuration's facts of the chosen exercises (``into``/<id>/ instead, if given).

    The exercises are ``homework``'s (every homework's by default), or those of ``assignments``.
    """
    silence_missing_numpy()
    course = Course.load(course_dir)
    scope = course.homework(homework) if homework else course
    exercises = scope.select(list(assignments))
    homeworks = {course.homework_of(e).id: course.homework_of(e) for e in exercises}.values()
    missing = sorted(str(h.reference_dir) for h in homeworks if not h.has_reference)
    if missing:
        raise UsageError(f"{', '.join(missing)} does not exist: facts are frozen from the reference")
    launcher = default_launcher(protected=protected_paths(course.directory))
    session = JudgeSession(
        course=course,
        # The reference's children read reference/<homework>/ (JudgeSession.sandbox); no
        # student child runs here.
        submission=course.reference_dir,
        launcher=launcher,
        device="meta",
        seed_material="",
        facts_seed=settings.FACTS_SEED,  # frozen facts are public by nature: never the secret seed
        facts_store=FactsStore(None),
    )
    frozen = []
    try:
        for exercise in exercises:
            store = FrozenFacts(exercise, into / exercise.id if into else None)
            digest = source_digest(course, exercise)
            files: list[Path] = []
            for configuration in exercise.configurations:
                stored = Reference(session=session, exercise=exercise).computed(configuration)
                files += store.save(configuration, digest=digest, facts=stored)
            session.close_exercise(exercise)
            frozen.append(
                FrozenExercise(
                    id=exercise.id, configurations=tuple(exercise.configurations), files=tuple(files)
                )
            )
    finally:
        session.close()
        launcher.close()
    return frozen


def stale_facts(course: Course, homework: Homework | None = None) -> list[str]:
    """``<exercise> [<configuration>]`` for each frozen file of ``homework`` (else of the whole
    course) that is missing or stale (empty: all fresh)."""
    stale = []
    for exercise in homework.exercises if homework else course.exercises:
        digest = source_digest(course, exercise)
        store = FrozenFacts(exercise)
        for configuration in exercise.configurations:
            if store.load(configuration, digest=digest) is None:
                stale.append(f"{exercise.id} [{configuration}]")
    return stale
