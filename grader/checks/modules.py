"""The layer types the exercise names are used in forward."""

from __future__ import annotations

from grader.checks.feedback import fail
from grader.checks.probe import structure_or_fail
from grader.judge.session import Student


def required_layers(student: Student, configuration: str = "default") -> None:
    """Each layer type the exercise names is called by forward (not only registered)."""
    structure = structure_or_fail(
        student, configuration, student.exercise.configuration(configuration).small_input_shape
    )
    used = {layer.type for layer in structure.called_layers}
    registered = {layer.type: layer.path for layer in structure.layers}
    missing = [name for name in student.exercise.required_layers if name not in used]
    if not missing:
        return
    hints = []
    for name in missing:
        if name in registered:
            hints.append(f"nn.{name} is created as `{registered[name]}` but forward never calls it.")
        elif name == "ReLU" and any(op.name in ("relu", "relu_") for op in structure.ops):
            hints.append(
                "You apply relu as a function (F.relu/torch.relu); this exercise asks for an nn.ReLU layer."
            )
        else:
            hints.append(f"Add an nn.{name} layer and call it in forward.")
    wanted = ", ".join(f"nn.{name}" for name in student.exercise.required_layers)
    found = ", ".join(sorted(used)) or "no layers"
    fail(
        f"The exercise builds the module from {wanted}; forward uses {found}, "
        f"missing {', '.join('nn.' + m for m in missing)}.",
        hints=hints,
    )
