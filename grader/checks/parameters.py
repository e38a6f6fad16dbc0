"""The parameter count equals an accepted variant's."""

from __future__ import annotations

from grader.checks.feedback import fail
from grader.checks.hints import for_structures
from grader.checks.layers import layer_table
from grader.checks.probe import ignored_arguments, structure_or_fail
from grader.judge.session import Reference, Student


def count(student: Student, reference: Reference, configuration: str = "default") -> None:
    """Total trainable parameters equal one accepted variant's at this configuration."""
    facts = reference.facts(configuration)
    structure = structure_or_fail(student, configuration)
    counts = {v.variant.id: v.structure.parameter_count for v in facts.variants}
    for variant_id, expected in counts.items():
        if structure.parameter_count == expected:
            student.note(parameter_variant=variant_id)
            return
    closest = min(facts.variants, key=lambda v: abs(v.structure.parameter_count - structure.parameter_count))
    accepted = " or ".join(f"{n:,} ({variant})" for variant, n in counts.items())
    kwargs = facts.configuration.kwargs
    where = f" with {', '.join(f'{k}={v}' for k, v in kwargs.items())}" if kwargs else ""
    fail(
        f"Your module{where} has {structure.parameter_count:,} parameters; expected {accepted}.",
        hints=for_structures(structure, closest.structure) + ignored_arguments(student, configuration),
        layers=layer_table(structure.weighted_layers, closest.structure.weighted_layers),
    )
