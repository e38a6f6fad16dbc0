"""The course: homeworks of exercises, described as data under ``assignments/``.

``assignments/course.toml`` lists the homeworks in order; ``assignments/<homework>/homework.toml``
names one homework and its exercises in order; ``assignments/<homework>/<id>/exercise.toml``
describes one exercise. A submission is one homework's: a folder laid out like
``student_template/<homework>/``, graded against ``reference/<homework>/``.

An exercise names the student's module and builder, the variants of the
reference that count as correct, and the configurations (builder arguments and
input sizes) its checks run at. Reading it needs no torch, so ``grade list``
stays quick.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import i18n
from grader.errors import UsageError
from grader.i18n import _

Shape = tuple[int, ...]


class CourseError(UsageError):
    """An exercise description is missing or malformed, or no such exercise was asked for."""


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A reference builder whose behaviour counts as correct."""

    id: str
    builder: str
    description: str


@dataclass(frozen=True, kw_only=True)
class IntermediateShape:
    """A shape the exercise states for the output of one layer (e.g. after a conv)."""

    layer_type: str
    occurrence: int
    shape: Shape
    description: str


@dataclass(frozen=True, kw_only=True)
class Configuration:
    """Builder arguments with the input sizes the checks use for them.

    ``input_shape`` is checked on the meta device only, so it may be as large as
    the seed's; ``small_input_shape`` is what behaviour is computed on.
    """

    id: str
    kwargs: dict[str, Any]
    input_shape: Shape
    small_input_shape: Shape
    output_shape: Shape | None = None
    intermediate: tuple[IntermediateShape, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A stage of a network as the statement names it, and the shape it ends with at the
    default configuration's input (ResNet-50's conv3_x: (32, 512, 28, 28))."""

    name: str
    shape: Shape
    # Where it ends among the results of that shape: the "last" before the next stage's shape
    # first appears (a ResNet stage, whose blocks all give it), or the "first" (a VGG stage,
    # which ends at its max-pool: the next stage's convolutions give the same shape).
    end: str = "last"


@dataclass(frozen=True, kw_only=True)
class StageUnit:
    """What one repetition inside a stage is, to count them: a torch call (``add`` for a
    residual block, ``cat`` for an Inception module) or a layer type (``Conv2d``), and its name."""

    op: str = ""
    layer: str = ""
    name: str = "blocks"


@dataclass(frozen=True, kw_only=True)
class Exercise:
    id: str
    homework: str
    title: str
    module: str
    builder: str
    statement: str
    required_layers: tuple[str, ...]
    # Whether a functional call (F.max_pool2d) counts for a layer type the exercise names: no
    # where the statement names the nn layer (nn.MaxPool2d), yes where it names the operation.
    functional_forms: bool
    variants: tuple[Variant, ...]
    configurations: dict[str, Configuration]
    directory: Path = field(compare=False)
    # Modules whose classes a submission may not be built from ("torchvision.models"): the
    # builder must build the network itself. Judged from the classes the child builds.
    forbid: tuple[str, ...] = ()
    # Seconds one request may take, where more than the default (a network's weights).
    request_timeout_s: float | None = None
    stages: tuple[Stage, ...] = ()
    stage_unit: StageUnit | None = None

    def configuration(self, name: str) -> Configuration:
        try:
            return self.configurations[name]
        except KeyError:
            raise CourseError(f"{self.id} has no configuration {name!r}") from None

    @classmethod
    def load(cls, directory: Path, *, homework: str) -> Exercise:
        path = directory / "exercise.toml"
        data = _read_toml(path)
        try:
            return cls._from_dict(data, directory, homework)
        except (KeyError, TypeError, ValueError) as error:
            raise CourseError(f"{path} is malformed: {error!r}") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], directory: Path, homework: str) -> Exercise:
        variants = tuple(
            Variant(id=v["id"], builder=v["builder"], description=v["description"]) for v in data["variants"]
        )
        configurations = {
            name: Configuration(
                id=name,
                kwargs=dict(c.get("kwargs", {})),
                input_shape=tuple(c["input_shape"]),
                small_input_shape=tuple(c["small_input_shape"]),
                output_shape=tuple(c["output_shape"]) if "output_shape" in c else None,
                intermediate=tuple(
                    IntermediateShape(
                        layer_type=i["layer_type"],
                        occurrence=int(i.get("occurrence", 1)),
                        shape=tuple(i["shape"]),
                        description=i["description"],
                    )
                    for i in c.get("intermediate", [])
                ),
            )
            for name, c in data["configurations"].items()
        }
        if data["id"] != directory.name:
            raise ValueError(f"id {data['id']!r} differs from the folder name {directory.name!r}")
        if "default" not in configurations or not variants:
            raise ValueError("an exercise needs a 'default' configuration and a variant")
        return cls(
            id=data["id"],
            homework=homework,
            title=data["title"],
            module=data["module"],
            builder=data["builder"],
            statement=data["statement"].strip(),
            required_layers=tuple(data.get("required_layers", ())),
            functional_forms=bool(data.get("functional_forms", False)),
            variants=variants,
            configurations=configurations,
            directory=directory,
            forbid=tuple(str(name) for name in data.get("forbid", ())),
            request_timeout_s=float(data["request_timeout_s"]) if "request_timeout_s" in data else None,
            stages=tuple(
                Stage(name=str(t["name"]), shape=tuple(t["shape"]), end=str(t.get("end", "last")))
                for t in data.get("stages", ())
            ),
            stage_unit=StageUnit(**data["stage_unit"]) if "stage_unit" in data else None,
        )


@dataclass(frozen=True, kw_only=True)
class Homework:
    """A set of exercises handed in together: one submission folder, one report."""

    id: str
    title: str
    exercises: tuple[Exercise, ...]
    directory: Path = field(compare=False)  # assignments/<id>
    course_dir: Path = field(compare=False)

    @property
    def reference_dir(self) -> Path:
        return self.course_dir / "reference" / self.id

    @property
    def has_reference(self) -> bool:
        """False in a shipped starter: checks then use the frozen facts, and hidden ones are skipped."""
        return self.reference_dir.is_dir()

    @property
    def template_dir(self) -> Path:
        return self.course_dir / "student_template" / self.id

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(e.id for e in self.exercises)
        raise CourseError(
            _("no exercise {exercise!r} in {homework}; its exercises are: {known}").format(
                exercise=exercise_id, homework=self.id, known=known
            )
        )

    def select(self, ids: tuple[str, ...] | list[str]) -> tuple[Exercise, ...]:
        return tuple(self.exercise(i) for i in ids) if ids else self.exercises

    def holds_modules(self, folder: Path) -> bool:
        """Whether ``folder`` holds any of this homework's exercise modules."""
        return any((folder / f"{e.module}.py").is_file() for e in self.exercises)

    def submission_folder(self, path: Path) -> Path:
        """The folder holding this homework's modules: ``path``, or its subfolder named for the
        homework when ``path`` holds none of them (``reference/`` is graded as ``reference/<id>/``)."""
        nested = path / self.id
        return nested if not self.holds_modules(path) and nested.is_dir() else path

    @classmethod
    def load(cls, directory: Path, *, course_dir: Path) -> Homework:
        path = directory / "homework.toml"
        data = _read_toml(path)
        try:
            homework_id, title = str(data["id"]), str(data["title"])
            listed = [str(name) for name in data["exercises"]]
        except (KeyError, TypeError, ValueError) as error:
            raise CourseError(f"{path} is malformed: {error!r}") from None
        if homework_id != directory.name:
            raise CourseError(f"{path}: id {homework_id!r} differs from the folder name {directory.name!r}")
        folders = sorted(p.name for p in directory.iterdir() if (p / "exercise.toml").is_file())
        order = listed + [name for name in folders if name not in listed]
        exercises = tuple(Exercise.load(directory / name, homework=homework_id) for name in order)
        return cls(
            id=homework_id, title=title, exercises=exercises, directory=directory, course_dir=course_dir
        )


@dataclass(frozen=True, kw_only=True)
class Course:
    directory: Path
    title: str
    homeworks: tuple[Homework, ...]
    language: str | None = None  # what students read unless --lang or their locale says otherwise

    def speak(self, explicit: str | None = None) -> str:
        """Make the language asked for (else the user's locale's, else the course's) the one
        every text is produced in from now on, and return it."""
        chosen = i18n.resolve(explicit, self.language)
        i18n.activate(chosen, self.directory)
        return chosen

    @property
    def reference_dir(self) -> Path:
        """Where every homework's reference folder is (``reference/<homework>/``)."""
        return self.directory / "reference"

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        """Every homework's exercises, in order."""
        return tuple(e for homework in self.homeworks for e in homework.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        """An exercise by its id, which is unique in the course."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(e.id for e in self.exercises)
        raise CourseError(
            _("no exercise {exercise!r}; the exercises are: {known}").format(
                exercise=exercise_id, known=known
            )
        )

    def select(self, ids: tuple[str, ...] | list[str]) -> tuple[Exercise, ...]:
        return tuple(self.exercise(i) for i in ids) if ids else self.exercises

    def homework(self, homework_id: str) -> Homework:
        for homework in self.homeworks:
            if homework.id == homework_id:
                return homework
        raise CourseError(
            _("no homework {homework!r}; the homeworks are: {choices}").format(
                homework=homework_id, choices=self._choices()
            )
        )

    def homework_of(self, exercise: Exercise) -> Homework:
        return self.homework(exercise.homework)

    def choose_homework(
        self, name: str | None, submission: Path | None = None, *, defines: frozenset[str] | None = None
    ) -> Homework:
        """The homework asked for by ``name``; else the only one; else the one whose exercise
        modules ``submission`` holds (or whose subfolder it has), or for a notebook, whose
        builders it ``defines``. Ambiguity is a usage error."""
        if name is not None:
            return self.homework(name)
        if len(self.homeworks) == 1:
            return self.homeworks[0]
        if submission is None:
            raise CourseError(
                _("the course has several homeworks: choose one with --homework ({choices})").format(
                    choices=self._choices()
                )
            )
        if defines is not None:
            holding = [h for h in self.homeworks if any(e.builder in defines for e in h.exercises)]
        else:
            holding = [h for h in self.homeworks if h.holds_modules(submission)] or [
                h for h in self.homeworks if (submission / h.id).is_dir()
            ]
        if len(holding) == 1:
            return holding[0]
        if holding:
            found = ", ".join(h.id for h in holding)
            raise CourseError(
                _("{path} holds files of several homeworks ({found}): choose one with --homework").format(
                    path=submission, found=found
                )
            )
        if defines is not None:
            builders = ", ".join(f"{e.builder}()" for e in self.exercises)
            raise CourseError(
                _(
                    "{file} defines none of the builders ({builders}): "
                    "choose the homework with --homework ({choices})"
                ).format(file=submission.name, builders=builders, choices=self._choices())
            )
        raise CourseError(
            _("{path} holds the modules of no homework: choose one with --homework ({choices})").format(
                path=submission, choices=self._choices()
            )
        )

    def _choices(self) -> str:
        return ", ".join(h.id for h in self.homeworks)

    @classmethod
    def load(cls, directory: Path) -> Course:
        assignments = directory / "assignments"
        if not assignments.is_dir():
            raise CourseError(
                f"{directory} holds no assignments/ folder: install the grader with "
                "`pip install -e .` from the course repository, or pass --course"
            )
        listing = assignments / "course.toml"
        data = _read_toml(listing) if listing.is_file() else {}
        folders = sorted(p.name for p in assignments.iterdir() if (p / "homework.toml").is_file())
        try:
            title = str(data.get("title", "PyTorch model-building exercises"))
            listed = [str(name) for name in data.get("homeworks", folders)]
            language = data.get("language")
            if language is not None:
                i18n.check_language(str(language))
        except (TypeError, ValueError) as error:
            raise CourseError(f"{listing} is malformed: {error!r}") from None
        homeworks = tuple(Homework.load(assignments / name, course_dir=directory) for name in listed)
        course = cls(
            directory=directory,
            title=title,
            homeworks=homeworks,
            language=None if language is None else str(language),
        )
        ids = [e.id for e in course.exercises]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            # Reports, gradebooks and stored facts name an exercise by its id alone.
            raise CourseError(f"exercise ids must be unique in the course: {', '.join(repeated)} repeat")
        return course


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CourseError(f"cannot read {path}: {error}") from None
