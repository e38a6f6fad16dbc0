"""The layer types the exercise names are used in forward."""

from __future__ import annotations

from grader.checks.feedback import fail
from grader.checks.probe import structure_or_fail
from grader.i18n import _
from grader.judge.session import Student

#: torch's functional forms of the layer types, by the name the child records a call under.
FUNCTIONAL_FORMS = {
    "relu": "ReLU",
    "relu_": "ReLU",
    "max_pool2d": "MaxPool2d",
    "avg_pool2d": "AvgPool2d",
    "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
    "dropout": "Dropout",
    "conv2d": "Conv2d",
    "linear": "Linear",
    "batch_norm": "BatchNorm2d",
}


def required_layers(student: Student, configuration: str = "default") -> None:
    """Each layer type the exercise names is called by forward (not only registered); a
    functional form counts where the exercise says so (``functional_forms`` in exercise.toml)."""
    exercise = student.exercise
    # At the stated input size, on meta: a network that works at that size only still uses its layers.
    structure = structure_or_fail(student, configuration)
    layers = {layer.type for layer in structure.called_layers}
    functional = {FUNCTIONAL_FORMS[op.name] for op in structure.ops if op.name in FUNCTIONAL_FORMS}
    used = layers | functional if exercise.functional_forms else layers
    registered = {layer.type: layer.path for layer in structure.layers}
    missing = [name for name in exercise.required_layers if name not in used]
    if not missing:
        return
    hints = []
    for name in missing:
        function = next((f for f, layer in FUNCTIONAL_FORMS.items() if layer == name), name.lower())
        relatives = [layer for layer in structure.called_layers if layer.type.startswith(name)]
        if relatives:
            other = relatives[0]
            if "Dropout" in name:
                hint = _(
                    "Your `{path}` is nn.{found} (it zeroes whole channels; nn.Dropout zeroes single "
                    "values); the exercise names nn.{name}."
                )
            else:
                hint = _("Your `{path}` is nn.{found}; the exercise names nn.{name}.")
            hints.append(hint.format(path=other.path, found=other.type, name=name))
        elif name in registered:
            hints.append(
                _("nn.{name} is created as `{path}` but forward never calls it.").format(
                    name=name, path=registered[name]
                )
            )
        elif name in functional:
            hints.append(
                _(
                    "You apply {name} as a function (F.{function}); this exercise's statement names the "
                    "nn.{name} layer: create it in the builder and call it in forward."
                ).format(name=name, function=function)
            )
        else:
            hints.append(_("Add an nn.{name} layer and call it in forward.").format(name=name))
    if exercise.functional_forms:
        message = _(
            "The exercise builds the module from {wanted} (a functional form such as F.max_pool2d counts "
            "too); forward uses {found}, missing {missing}."
        )
    else:
        message = _("The exercise builds the module from {wanted}; forward uses {found}, missing {missing}.")
    fail(
        message.format(
            wanted=", ".join(f"nn.{name}" for name in exercise.required_layers),
            found=", ".join(sorted(layers)) or _("no layers"),
            missing=", ".join("nn." + m for m in missing),
        ),
        hints=hints,
    )
