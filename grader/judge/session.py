"""What the checks are handed: the student's builder and the reference, both behind sandboxes.

``Student`` asks the student's child; ``Reference`` computes the facts a check
compares against (structures, seeded weights, inputs and outputs) by asking a
child that runs the reference solutions. Facts are plain data, so they can be
computed ahead of time and stored. The judge picks every input, seed and weight.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import settings
from grader.course import Configuration, Course, Exercise, Variant
from grader.facts import (
    FactsStore,
    FrozenFacts,
    StoredFacts,
    VariantRecord,
    facts_key,
    hidden_seed,
    source_digest,
)
from grader.judge.weights import WeightSet, reference_weights
from grader.sandbox.client import ChildProcess, Launcher, RunOutput, Sandbox, SubmissionFailed, end_child
from grader.sandbox.messages import Structure
from grader.sandbox.protocol import Target


@dataclass(frozen=True, kw_only=True)
class VariantFacts:
    """One accepted variant at one configuration, with a behaviour case."""

    variant: Variant
    structure: Structure  # at the configuration's full input size, on meta
    small_structure: Structure  # at the small input size
    weights: WeightSet  # reference parameter path → the judge's recipe for it
    output: Any
    layer_outputs: dict[str, Any]  # every weighted layer's, or a prefix (frozen for a network)


@dataclass(frozen=True, kw_only=True)
class ConfigurationFacts:
    configuration: Configuration
    inputs: Any
    variants: tuple[VariantFacts, ...]

    @property
    def probe_shape(self) -> tuple[int, ...]:
        """The shape of the judge's behaviour input (it depends on the facts seed)."""
        return tuple(self.inputs.shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The stated output shape, else the first variant's."""
        stated = self.configuration.output_shape
        return stated if stated is not None else self.variants[0].structure.output.shape or ()


class JudgeSession:
    """Sandboxes and caches for one grading run of one submission."""

    def __init__(
        self,
        *,
        course: Course,
        submission: Path,
        launcher: Launcher,
        device: str,
        seed_material: str,
        facts_store: FactsStore,
        facts_seed: str = settings.FACTS_SEED,
        timeout_s: float = settings.REQUEST_TIMEOUT_S,
        memory_bytes: int = settings.CHILD_MEMORY_BYTES,
    ) -> None:
        self.course = course
        self.facts_store = facts_store
        self.facts_seed = facts_seed
        self._hidden_seed: str | None = None
        self.submission = submission
        self.launcher = launcher
        self.device = device
        self.seed_material = seed_material
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.sandboxes: dict[tuple[str, str], Sandbox] = {}
        # A finished exercise's child, for the next exercise's (JudgeSession.close_exercise).
        self.handed: ChildProcess | None = None
        self.structures: dict[tuple[Any, ...], Structure | SubmissionFailed] = {}
        self.facts: dict[tuple[str, ...], ConfigurationFacts] = {}
        # (exercise, configuration) → the variant id and layer mapping that passed behaviour,
        # or None where behaviour ran and failed.
        self.matched: dict[tuple[str, str], tuple[str, Any] | None] = {}
        # Behaviour runs on the stored input by (exercise, configuration, variant, mapping):
        # the shape check's confirmation is the behaviour check's first run (checks/behaviour.py).
        self.runs: dict[tuple[str, str, str, Any], RunOutput] = {}

    def sandbox(self, role: str, exercise: Exercise) -> Sandbox:
        """A sandbox per exercise for student code, so a failure in one exercise's code (and
        the failures it caches) stays that exercise's; one for all of a homework's reference,
        which is trusted. An exercise's child is the one the exercise before handed over, if
        that exercise's code ran without a failure (``close_exercise``)."""
        key = (role, exercise.id if role == "student" else exercise.homework)
        if key not in self.sandboxes:
            homework = self.course.homework_of(exercise)
            folder = self.submission if role == "student" else homework.reference_dir
            # A network's requests move hundreds of megabytes: its exercise may allow more time.
            allowed = [exercise] if role == "student" else homework.exercises
            timeout_s = max([self.timeout_s, *(e.request_timeout_s or 0.0 for e in allowed)])
            child = None
            if role == "student":
                child, self.handed = self.handed, None
            self.sandboxes[key] = Sandbox(
                launcher=self.launcher,
                submission=folder,
                timeout_s=timeout_s,
                memory_bytes=self.memory_bytes,
                child=child,
            )
        return self.sandboxes[key]

    def seed(self, *parts: object) -> int:
        """Seeds differ per submission and check, and repeat for the same submission."""
        return _seed(self.seed_material, *parts)

    def hidden_seed(self) -> str:
        """The grading machine's secret for the hidden checks' facts (read when first needed)."""
        if self._hidden_seed is None:
            self._hidden_seed = hidden_seed()
        return self._hidden_seed

    def structure(self, role: str, exercise: Exercise, target: Target, shape: tuple[int, ...]) -> Structure:
        key = (role, exercise.id, target.builder, repr(sorted(target.kwargs.items())), shape)
        if key not in self.structures:
            try:
                self.structures[key] = self.sandbox(role, exercise).inspect(target, shape)
            except SubmissionFailed as failed:
                self.structures[key] = failed
        cached = self.structures[key]
        if isinstance(cached, SubmissionFailed):
            raise cached
        return cached

    def prestart(self, exercise: Exercise) -> None:
        """Start ``exercise``'s student child ahead of its first check (see Sandbox.prestart)."""
        with contextlib.suppress(SubmissionFailed, OSError, RuntimeError):
            self.sandbox("student", exercise).prestart()

    def close_exercise(self, exercise: Exercise) -> bool:
        """End ``exercise``'s sandbox. Its child serves the next exercise if every request it
        was asked succeeded, as a student's cells share one notebook: each fork of a process
        holding torch costs about 30 ms of CPU to make, fill and tear down. Whether it did."""
        sandbox = self.sandboxes.pop(("student", exercise.id), None)
        if sandbox is None:
            return False
        self._end_handed()
        self.handed = sandbox.handover()
        return self.handed is not None

    def close(self) -> None:
        for sandbox in self.sandboxes.values():
            sandbox.close()
        self.sandboxes.clear()
        self._end_handed()

    def _end_handed(self) -> None:
        if self.handed is not None:
            end_child(self.handed)
            self.handed = None


@dataclass
class Student:
    """The student's builder for one exercise, as a check sees it (one per check)."""

    session: JudgeSession
    exercise: Exercise
    notes: dict[str, Any] = field(default_factory=dict)

    def target(self, configuration: str) -> Target:
        config = self.exercise.configuration(configuration)
        return Target(
            module=self.exercise.module,
            builder=self.exercise.builder,
            kwargs=config.kwargs,
            seed=self.session.seed(self.exercise.id, configuration, "build"),
        )

    def structure(self, configuration: str, shape: tuple[int, ...] | None = None) -> Structure:
        config = self.exercise.configuration(configuration)
        target = self.target(configuration)
        return self.session.structure("student", self.exercise, target, shape or config.input_shape)

    def run(self, configuration: str, inputs: Any, **options: Any) -> RunOutput:
        sandbox = self.session.sandbox("student", self.exercise)
        return sandbox.run(self.target(configuration), inputs, **options)

    def note(self, **facts: Any) -> None:
        """Facts for the report (which variant matched, which device ran)."""
        self.notes.update(facts)


@dataclass
class Reference:
    """The reference for one exercise: facts computed on demand, then cached."""

    session: JudgeSession
    exercise: Exercise

    def facts(self, configuration: str) -> ConfigurationFacts:
        """The facts at the facts seed: frozen ones where they fit, else stored or computed."""
        key = (self.exercise.id, configuration)
        if key not in self.session.facts:
            session = self.session
            stored = None
            if session.facts_seed == settings.FACTS_SEED:
                course = session.course
                with_reference = course.homework_of(self.exercise).has_reference
                digest = source_digest(course, self.exercise) if with_reference else None
                stored = FrozenFacts(self.exercise).load(configuration, digest=digest)
            if stored is None:
                stored = self._stored(configuration, session.facts_seed, fresh=False)
            session.facts[key] = self._facts(configuration, stored)
        return self.session.facts[key]

    def layer_outputs(self, configuration: str, variant_id: str) -> dict[str, Any]:
        """Every weighted layer's output of a variant at the facts seed, where the frozen facts
        keep only the first (a network's): computed from the reference when it is present,
        else what there is. Only feedback needs them, so only a failed behaviour asks."""
        facts = self.facts(configuration)
        kept = next(v.layer_outputs for v in facts.variants if v.variant.id == variant_id)
        session = self.session
        homework = session.course.homework_of(self.exercise)
        if session.facts_seed != settings.FACTS_SEED or not homework.has_reference:
            return kept
        stored = self._stored(configuration, session.facts_seed, fresh=False)
        return stored.variants[variant_id].layers

    def fresh_facts(self, configuration: str) -> ConfigurationFacts:
        """Facts on an input, input size and weights drawn from the hidden seed.

        The hidden seed is a secret of the grading machine (settings.hidden_seed), so no
        student can know these facts ahead of time — not even from the frozen facts a
        starter ships. They need the reference at grading time: the checks that use them
        are hidden. Stored like any facts, so a batch computes them once for the class.
        """
        key = (self.exercise.id, configuration, "fresh")
        if key not in self.session.facts:
            stored = self._stored(configuration, self.session.hidden_seed(), fresh=True)
            self.session.facts[key] = self._facts(configuration, stored)
        return self.session.facts[key]

    def computed(self, configuration: str) -> StoredFacts:
        """The facts at the public seed, computed now from the reference (``grade freeze``)."""
        return self._from_reference(configuration, material=settings.FACTS_SEED, fresh=False)

    def _stored(self, configuration: str, material: str, *, fresh: bool) -> StoredFacts:
        session = self.session
        if not session.course.homework_of(self.exercise).has_reference:
            raise RuntimeError(
                f"this course ships neither the reference nor frozen facts for {self.exercise.id}"
                f" [{configuration}] at this facts seed: run `grade freeze` before shipping it"
            )
        kind = "hidden:" if fresh else ""
        key = facts_key(session.course, self.exercise, configuration, kind + material)
        stored = session.facts_store.load(key)
        if stored is None:
            stored = self._from_reference(configuration, material=material, fresh=fresh)
            session.facts_store.save(key, facts=stored)
        return stored

    def _facts(self, configuration: str, stored: StoredFacts) -> ConfigurationFacts:
        return ConfigurationFacts(
            configuration=self.exercise.configuration(configuration),
            inputs=stored.inputs,
            variants=tuple(
                VariantFacts(
                    variant=variant,
                    structure=stored.variants[variant.id].full,
                    small_structure=stored.variants[variant.id].small,
                    weights=reference_weights(
                        stored.variants[variant.id].small.weighted_layers, stored.weights_seed
                    ),
                    output=stored.variants[variant.id].output,
                    layer_outputs=stored.variants[variant.id].layers,
                )
                for variant in self.exercise.variants
            ),
        )

    def _from_reference(self, configuration: str, *, material: str, fresh: bool) -> StoredFacts:
        """Run each variant of the reference in a child, on the judge's input and weights."""
        import torch

        config = self.exercise.configuration(configuration)
        session = self.session

        def seed(*parts: object) -> int:
            return _seed(material, *parts)

        inputs = probe_input(
            probe_shape(config.small_input_shape, material, grow=fresh),
            torch.Generator().manual_seed(seed(self.exercise.id, configuration, "input")),
        )
        weights_seed = seed(self.exercise.id, configuration, "weights")
        variants: dict[str, VariantRecord] = {}
        for variant in self.exercise.variants:
            target = Target(module=self.exercise.module, builder=variant.builder, kwargs=config.kwargs)
            try:
                small = session.structure("reference", self.exercise, target, tuple(inputs.shape))
                # Fresh facts serve behaviour alone, which never looks at the full size.
                full = (
                    small
                    if fresh
                    else session.structure("reference", self.exercise, target, config.input_shape)
                )
                run = session.sandbox("reference", self.exercise).run(
                    target,
                    inputs,
                    weights=reference_weights(small.weighted_layers, weights_seed),
                    capture_layers=True,
                )
            except SubmissionFailed as failed:
                raise RuntimeError(
                    f"the reference {variant.builder} for {self.exercise.id} failed: {failed}"
                ) from None
            variants[variant.id] = VariantRecord(
                full=full, small=small, output=run.tensor, layers=run.layers or {}
            )
        return StoredFacts(inputs=inputs, weights_seed=weights_seed, variants=variants)


def probe_shape(documented: tuple[int, ...], facts_seed: str, *, grow: bool = False) -> tuple[int, ...]:
    """The documented small input, grown by 1-4 pixels under any but the public seed.

    With a secret seed (GRADER_FACTS_SEED) a submission cannot recognise the probe by
    its size, nor precompute answers from the public seed. Fresh facts always grow.
    """
    if (facts_seed == settings.FACTS_SEED and not grow) or len(documented) < 3:
        return documented
    grow_by = 1 + _seed(facts_seed, "probe size") % 4
    return (*documented[:-2], *(size + grow_by for size in documented[-2:]))


#: The scale of each sample of a probe input, in turn along the batch. The first sample is at
#: unit scale: the check of unused parameters runs on it alone.
PROBE_SCALES = (1.0, 10.0, 0.1)


def probe_input(shape: tuple[int, ...], generator: Any) -> Any:
    """Signed values, each sample at its own scale (``PROBE_SCALES``), drawn from ``generator``.

    Signed: on inputs that are never negative a ReLU applied to the input, or to a max-pool
    of it, changes nothing, so such a mistake would go unseen. Scales 10 apart: a layer that
    behaves differently on large or small values (a clamp, ReLU6 for ReLU) shows too.
    """
    import torch

    values = torch.randn(shape, generator=generator)
    if values.dim() == 0:
        return values
    batch = shape[0]
    scales = torch.tensor(PROBE_SCALES).repeat(batch // len(PROBE_SCALES) + 1)[:batch]
    return values * scales.view(batch, *([1] * (values.dim() - 1)))


def _seed(material: str, *parts: object) -> int:
    text = "/".join([material, *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF
