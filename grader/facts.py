"""Reference facts as stored data: JSON for structures, ``torch.save`` for tensors.

What the checks compare against — structures at the exercise's sizes, the
judge's seeded input and weights, the reference's outputs — depends only on the
reference code, the exercise description, the seed and the torch version. It is
computed once, stored under a key of all of those, and read back with
``torch.load(weights_only=True)``.

Facts at the public seed are also *frozen* by ``grade freeze`` into
``assignments/<homework>/<id>/facts/``, so that a course shipped without its reference
solutions (a GitHub Classroom starter) can still be graded.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader import settings
from grader.course import Course, Exercise
from grader.fingerprint import fingerprint
from grader.sandbox.messages import Structure
from grader.sandbox.protocol import ProtocolError


def facts_key(course: Course, exercise: Exercise, configuration: str, seed_material: str) -> str:
    """What stored facts are filed under: everything that can change them.

    The fingerprint covers the grader's code, the course (exercise.toml, checks, reference
    code) and torch; ``__version__`` does not change with the code, so keyed on it a changed
    grader would read stale facts.
    """
    digest = hashlib.sha256()
    for part in (fingerprint(course.directory), seed_material, exercise.id, configuration):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:32]


def hidden_seed() -> str:
    """The grading machine's secret for the hidden checks' facts.

    Derived from GRADER_FACTS_SEED when the instructor set one; else drawn once and kept
    (mode 0600) beside the stored facts, which children can never read. Nobody else knows
    it, so nobody can know the hidden facts ahead of time; it is the same for a whole
    batch, so those facts are computed once per class.
    """
    secret = os.environ.get("GRADER_FACTS_SEED")
    if secret:
        return f"hidden/{secret}"
    path = settings.default_facts_cache() / "hidden-seed"
    try:
        kept = path.read_text().strip()
    except OSError:
        kept = ""
    if kept:
        return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    drawn = secrets.token_hex(16)
    # Two judges may draw at once: the file holds one of the two; the other judge's facts
    # are merely stored under a key nobody asks for again.
    _atomic(path, lambda f: f.write(drawn.encode()))
    return drawn


#: Bump when what a facts file holds changes; older frozen files are then ignored.
#: 2: weights are kept as their seed (grader/judge/weights.py), not as tensors.
FROZEN_FORMAT = 2

#: Frozen files keep each variant's layer outputs (used to name the first layer that
#: differs) up to this many bytes, in call order: a network's would be megabytes, and a
#: starter ships them. Where the reference is present every layer's is computed.
FROZEN_LAYER_BYTES = 512 * 1024


def source_digest(course: Course, exercise: Exercise) -> str:
    """What frozen facts were computed from: the exercise description and its homework's reference
    code (by file name and bytes, so moving the course keeps the digest)."""
    digest = hashlib.sha256()
    reference = course.homework_of(exercise).reference_dir
    for path in sorted([exercise.directory / "exercise.toml", *reference.glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class VariantRecord:
    """One accepted variant's facts at one configuration, as stored."""

    full: Structure  # at the configuration's full input size, on meta
    small: Structure  # at the judge's small input size
    output: Any  # the reference's output on the judge's input, with the judge's weights
    layers: dict[str, Any]  # each weighted layer's output on that input (a prefix, if frozen)


@dataclass(frozen=True, kw_only=True)
class StoredFacts:
    """One configuration's facts, as stored: the judge's input and each variant's record.

    The only place that knows how they are laid out in a facts file pair (``_read``,
    ``_write``): structures keyed ``<variant>/full`` and ``<variant>/small`` and the weights'
    seed in the JSON, tensors ``inputs`` and ``<variant>/output|layers`` in the ``torch.save``
    file. The weights are not stored: ``weights_seed`` draws them again (grader/judge/weights.py).
    """

    inputs: Any
    weights_seed: int
    variants: dict[str, VariantRecord]
    header: dict[str, Any] = field(default_factory=dict)

    def _structures(self) -> dict[str, Structure]:
        structures = {}
        for name, record in self.variants.items():
            structures[f"{name}/full"] = record.full
            structures[f"{name}/small"] = record.small
        return structures

    def _tensors(self) -> dict[str, Any]:
        tensors: dict[str, Any] = {"inputs": self.inputs}
        for name, record in self.variants.items():
            tensors[f"{name}/output"] = record.output
            tensors[f"{name}/layers"] = record.layers
        return tensors

    @classmethod
    def _from_files(cls, header: dict[str, Any], tensors: dict[str, Any]) -> StoredFacts:
        structures = {k: Structure.from_json(v) for k, v in header.pop("structures").items()}
        weights_seed = header.pop("weights_seed")
        if not isinstance(weights_seed, int):
            raise TypeError("weights_seed is not an integer")
        # In the order they were written: the tensors file keeps it, the sorted JSON does not.
        names = [key.removesuffix("/output") for key in tensors if key.endswith("/output")]
        return cls(
            inputs=tensors["inputs"],
            weights_seed=weights_seed,
            variants={
                name: VariantRecord(
                    full=structures[f"{name}/full"],
                    small=structures[f"{name}/small"],
                    output=tensors[f"{name}/output"],
                    layers=tensors[f"{name}/layers"],
                )
                for name in names
            },
            header=header,
        )


class FrozenFacts:
    """Facts at the public seed, one pair of files per configuration, beside the exercise.

    When the reference is present a frozen file is used only if it was computed
    from the same exercise.toml and reference code; without the reference
    (``digest=None``) it is all there is.
    """

    def __init__(self, exercise: Exercise, directory: Path | None = None) -> None:
        self.directory = directory or exercise.directory / "facts"

    def paths(self, configuration: str) -> tuple[Path, Path]:
        return self.directory / f"{configuration}.json", self.directory / f"{configuration}.pt"

    def load(self, configuration: str, *, digest: str | None) -> StoredFacts | None:
        def fits(header: dict[str, Any]) -> bool:
            return header.get("format") == FROZEN_FORMAT and digest in (None, header.get("source_digest"))

        return _read(*self.paths(configuration), accept=fits)

    def save(self, configuration: str, *, digest: str, facts: StoredFacts) -> list[Path]:
        import torch

        meta, tensor_path = self.paths(configuration)
        header = {"format": FROZEN_FORMAT, "source_digest": digest, "torch": torch.__version__}
        variants = {name: replace(r, layers=_prefix(r.layers)) for name, r in facts.variants.items()}
        header["trimmed_layers"] = any(
            len(variants[n].layers) < len(r.layers) for n, r in facts.variants.items()
        )
        _write(meta, tensor_path, header=header, facts=replace(facts, variants=variants))
        for path in (meta, tensor_path):
            path.chmod(0o644)  # committed and shipped: readable like the code beside it
        return [meta, tensor_path]


class FactsStore:
    """A folder of facts files; a missing or unreadable entry is recomputed."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def load(self, key: str) -> StoredFacts | None:
        return None if self.directory is None else _read(*self._paths(key))

    def save(self, key: str, *, facts: StoredFacts) -> None:
        if self.directory is not None:
            _write(*self._paths(key), header={}, facts=facts)

    def _paths(self, key: str) -> tuple[Path, Path]:
        assert self.directory is not None
        return self.directory / f"{key}.json", self.directory / f"{key}.pt"


#: Facts files read in this process, by path, size and modification time: a warm parent
#: reads them once (``preload``) and every judge forked from it finds them here.
_READ: dict[tuple[str, int, int, int, int], tuple[dict[str, Any], StoredFacts]] = {}


def preload(course: Course, exercises: tuple[Exercise, ...], store: Path | None) -> int:
    """Read what a judge of ``exercises`` reads of their facts: the frozen files, and the
    stored ones at the facts seed and at the hidden seed. Returns how many were found."""
    found = 0
    stored = FactsStore(store)
    seeds = (settings.facts_seed(), "hidden:" + hidden_seed()) if store is not None else ()
    for exercise in exercises:
        frozen = FrozenFacts(exercise)
        for configuration in exercise.configurations:
            found += _read(*frozen.paths(configuration)) is not None
            for material in seeds:
                found += stored.load(facts_key(course, exercise, configuration, material)) is not None
    return found


def _read(meta: Path, tensors: Path, accept: Any = None) -> StoredFacts | None:
    """A facts file pair (JSON header and structures, ``torch.save`` tensors); None if it is
    missing, unreadable, of another layout, or its header is not accepted."""
    try:
        meta_stat, tensors_stat = meta.stat(), tensors.stat()
        identity = (
            str(meta),
            meta_stat.st_mtime_ns,
            meta_stat.st_size,
            tensors_stat.st_mtime_ns,
            tensors_stat.st_size,
        )
        if identity in _READ:
            header, facts = _READ[identity]
        else:
            header = json.loads(meta.read_text())
            facts = StoredFacts._from_files(header, _load_tensors(tensors))
            _READ[identity] = (header, facts)
        if accept is not None and not accept(header):
            return None
        return facts
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, AttributeError, ProtocolError):
        return None


def _write(meta: Path, tensor_path: Path, *, header: dict[str, Any], facts: StoredFacts) -> None:
    import torch

    meta.parent.mkdir(parents=True, exist_ok=True)
    _atomic(tensor_path, lambda f: torch.save(facts._tensors(), f))
    structures = {k: s.to_json() for k, s in facts._structures().items()}
    text = json.dumps(
        {**header, "weights_seed": facts.weights_seed, "structures": structures}, sort_keys=True
    )
    _atomic(meta, lambda f: f.write(text.encode() + b"\n"))


def _prefix(layers: dict[str, Any]) -> dict[str, Any]:
    """The first layer outputs, in call order, that fit in ``FROZEN_LAYER_BYTES``."""
    kept, used = {}, 0
    for path, value in layers.items():
        used += value.numel() * value.element_size()
        if used > FROZEN_LAYER_BYTES:
            break
        kept[path] = value
    return kept


def _load_tensors(path: Path) -> dict[str, Any]:
    import torch

    loaded = torch.load(path, weights_only=True)
    if not isinstance(loaded, dict):
        raise ValueError("facts tensors are not a dict")
    return loaded


def _atomic(path: Path, write: Any) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
