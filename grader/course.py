"""The course: exercises described as data in ``assignments/<id>/exercise.toml``.

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

from grader.errors import UsageError

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
class Exercise:
    id: str
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

    def configuration(self, name: str) -> Configuration:
        try:
            return self.configurations[name]
        except KeyError:
            raise CourseError(f"{self.id} has no configuration {name!r}") from None

    @classmethod
    def load(cls, directory: Path) -> Exercise:
        path = directory / "exercise.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise CourseError(f"cannot read {path}: {error}") from None
        try:
            return cls._from_dict(data, directory)
        except (KeyError, TypeError, ValueError) as error:
            raise CourseError(f"{path} is malformed: {error!r}") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], directory: Path) -> Exercise:
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
            title=data["title"],
            module=data["module"],
            builder=data["builder"],
            statement=data["statement"].strip(),
            required_layers=tuple(data.get("required_layers", ())),
            functional_forms=bool(data.get("functional_forms", False)),
            variants=variants,
            configurations=configurations,
            directory=directory,
        )


@dataclass(frozen=True, kw_only=True)
class Course:
    directory: Path
    exercises: tuple[Exercise, ...]

    @property
    def reference_dir(self) -> Path:
        return self.directory / "reference"

    @property
    def has_reference(self) -> bool:
        """False in a shipped starter: checks then use the frozen facts, and hidden ones are skipped."""
        return self.reference_dir.is_dir()

    @property
    def template_dir(self) -> Path:
        return self.directory / "student_template"

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(e.id for e in self.exercises)
        raise CourseError(f"no exercise {exercise_id!r}; the exercises are: {known}")

    def select(self, ids: tuple[str, ...] | list[str]) -> tuple[Exercise, ...]:
        return tuple(self.exercise(i) for i in ids) if ids else self.exercises

    @classmethod
    def load(cls, directory: Path) -> Course:
        assignments = directory / "assignments"
        if not assignments.is_dir():
            raise CourseError(
                f"{directory} holds no assignments/ folder: install the grader with "
                "`pip install -e .` from the course repository, or pass --course"
            )
        order = _exercise_order(assignments)
        exercises = tuple(Exercise.load(assignments / name) for name in order)
        return cls(directory=directory, exercises=exercises)


def _exercise_order(assignments: Path) -> list[str]:
    """The order of ``assignments/order.txt``, else alphabetical."""
    listed = assignments / "order.txt"
    folders = sorted(p.name for p in assignments.iterdir() if (p / "exercise.toml").is_file())
    if not listed.is_file():
        return folders
    names = [line.strip() for line in listed.read_text().splitlines() if line.strip()]
    return names + [name for name in folders if name not in names]
