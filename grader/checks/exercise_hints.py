"""An exercise's own hints: ``assignments/<homework>/<id>/hints.py``, beside its checks.

The engine's hints (grader/checks/hints.py) know layers, shapes and tensors; what only makes
sense for one exercise ("the branches are joined along the channels") is written by its
instructor in the exercise's folder. The file may define any of:

- ``structure_hints(student: Structure, reference: Structure) -> list[str]``: what the
  student's forward did against the reference's (the shape, parameter-count and behaviour
  checks, beside the engine's hints);
- ``output_hints(found: Tensor, expected: Tensor, reference: Structure) -> list[str]``: every
  layer agrees with the reference's but the outputs differ;
- ``failure_hints(failure: Failure) -> list[str]``: the student's code raised or was stopped.

A function left out gives no hints. The file is trusted instructor code, imported in the judge
only (never in the sandboxed child, which never sees the course), once per exercise, under a
module name of its own so two exercises' ``hints.py`` never replace each other.

A hint never decides a verdict, so a broken one must not change a grade: a ``hints.py`` that
cannot be imported, or a function of it that raises or returns something other than a list of
strings, gives no hints and an ``ExerciseHintsWarning`` (in the judge's log, with the file and
line), and the check's verdict and the engine's hints stand. The course's own tests import
every ``hints.py`` (tests/test_exercise_hints.py), so a broken one is caught before grading.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.course import Exercise
from grader.failures import Failure
from grader.sandbox.messages import Structure

HINTS_FILE = "hints.py"

StructureHints = Callable[[Structure, Structure], list[str]]
OutputHints = Callable[[Any, Any, Structure], list[str]]
FailureHints = Callable[[Failure], list[str]]


class ExerciseHintsWarning(UserWarning):
    """An exercise's hints.py failed; its hints were left out, the verdict stands."""


@dataclass(frozen=True)
class ExerciseHints:
    """The hint functions one exercise's hints.py defines (None: not defined)."""

    path: Path
    structure_hints: StructureHints | None = None
    output_hints: OutputHints | None = None
    failure_hints: FailureHints | None = None

    @classmethod
    def load(cls, exercise: Exercise) -> ExerciseHints:
        """The exercise's hints, imported once per process (an exercise without hints.py has none)."""
        return _load(exercise.directory.resolve() / HINTS_FILE)

    def for_structures(self, student: Structure, reference: Structure) -> list[str]:
        return self._call(self.structure_hints, student, reference)

    def for_outputs(self, found: Any, expected: Any, reference: Structure) -> list[str]:
        return self._call(self.output_hints, found, expected, reference)

    def for_failure(self, failure: Failure) -> list[str]:
        return self._call(self.failure_hints, failure)

    def _call(self, function: Callable[..., Any] | None, *arguments: Any) -> list[str]:
        if function is None:
            return []
        try:
            hints = function(*arguments)
        except Exception as error:
            _warn(f"{function.__name__}() raised {_described(error)}", error)
            return []
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            _warn(f"{function.__name__}() returned {type(hints).__name__}, not a list of strings", None)
            return []
        return hints


@functools.cache
def _load(path: Path) -> ExerciseHints:
    if not path.is_file():
        return ExerciseHints(path=path)
    try:
        module = _import(path)
    except Exception as error:
        _warn(f"{path} could not be imported: {_described(error)}", error)
        return ExerciseHints(path=path)
    return ExerciseHints(
        path=path,
        structure_hints=_function(module, "structure_hints"),
        output_hints=_function(module, "output_hints"),
        failure_hints=_function(module, "failure_hints"),
    )


def _import(path: Path) -> ModuleType:
    """Import ``path`` under a name drawn from its location: ``hints.py`` is every exercise's
    file name, and a plain ``import hints`` would hand the second exercise the first's."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"_exercise_hints_{path.parent.name}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look their module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _function(module: ModuleType, name: str) -> Callable[..., Any] | None:
    function = getattr(module, name, None)
    if function is not None and not callable(function):
        _warn(f"{module.__file__}: {name} is a {type(function).__name__}, not a function", None)
        return None
    return function


def _described(error: BaseException) -> str:
    """The error with where the instructor's code raised it, for the judge's log."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _warn(message: str, error: BaseException | None) -> None:
    if error is not None:
        traceback.print_exception(error, file=sys.stderr)
    warnings.warn(f"{message}; its hints are left out", ExerciseHintsWarning, stacklevel=3)
