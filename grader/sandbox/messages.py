"""Typed results of the child's answers, parsed strictly from their JSON form.

The child builds these with ``to_json``; the judge rebuilds them with
``from_json``, which rejects anything of the wrong shape. What they say is a
claim by student-controlled code: the checks verify values, not these words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader import settings
from grader.sandbox.protocol import ProtocolError, expect

Shape = tuple[int, ...]


def numel(shape: Shape) -> int:
    count = 1
    for size in shape:
        count *= size
    return count


def _shape(value: Any, what: str) -> Shape:
    # The common case checked in one pass (a structure holds thousands of shapes); ``type``
    # rather than ``isinstance``, so a JSON true is not a size.
    if type(value) is list and len(value) <= 16 and all(type(v) is int for v in value):
        return tuple(value)
    items = expect(value, list, what)
    if len(items) > 16:
        raise ProtocolError(f"{what}: too many dimensions")
    return tuple(expect(v, int, what) for v in items)


def _optional_shape(value: Any, what: str) -> Shape | None:
    return None if value is None else _shape(value, what)


def _scalar_dict(value: Any, what: str) -> dict[str, Any]:
    obj = expect(value, dict, what)
    for key, item in obj.items():
        if not isinstance(item, (str, int, float, bool, list, type(None))):
            raise ProtocolError(f"{what}.{key}: not a plain value")
    return obj


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One module that holds parameters or has no submodules, as forward used it."""

    path: str
    type: str
    class_name: str
    params: tuple[tuple[str, Shape], ...]
    config: dict[str, Any]
    output_shape: Shape | None
    calls: int
    # Floating-point buffers (a BatchNorm's running statistics): the judge chooses them too.
    buffers: tuple[tuple[str, Shape], ...] = ()

    @property
    def parameter_count(self) -> int:
        return sum(numel(shape) for _, shape in self.params)

    def parameter_path(self, name: str) -> str:
        """The path of one of this layer's parameters in the whole module's state."""
        return f"{self.path}.{name}" if self.path else name

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "type": self.type,
            "class_name": self.class_name,
            "params": [[name, list(shape)] for name, shape in self.params],
            "config": self.config,
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "calls": self.calls,
            "buffers": [[name, list(shape)] for name, shape in self.buffers],
        }

    @classmethod
    def from_json(cls, data: Any) -> Layer:
        obj = expect(data, dict, "layer")
        return cls(
            path=expect(obj.get("path"), str, "layer.path"),
            type=expect(obj.get("type"), str, "layer.type"),
            class_name=expect(obj.get("class_name"), str, "layer.class_name"),
            params=_named_shapes(obj.get("params"), "layer.params"),
            config=_scalar_dict(obj.get("config", {}), "layer.config"),
            output_shape=_optional_shape(obj.get("output_shape"), "layer.output_shape"),
            calls=expect(obj.get("calls"), int, "layer.calls"),
            buffers=_named_shapes(obj.get("buffers", []), "layer.buffers"),
        )


def _named_shapes(value: Any, what: str) -> tuple[tuple[str, Shape], ...]:
    named = []
    for item in expect(value, list, what):
        pair = expect(item, list, f"{what}[]")
        if len(pair) != 2:
            raise ProtocolError(f"{what}[]: expected [name, shape]")
        named.append((expect(pair[0], str, f"{what} name"), _shape(pair[1], f"{what} shape")))
    return tuple(named)


@dataclass(frozen=True, kw_only=True)
class Op:
    """One tensor-producing torch call made during forward (for hints)."""

    name: str
    shape: Shape
    dim: int | None = None
    # How many layer calls (``Structure.calls``) came before it: where it ran among them.
    after: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dim": self.dim, "after": self.after}

    @classmethod
    def from_json(cls, data: Any) -> Op:
        obj = expect(data, dict, "op")
        dim = obj.get("dim")
        return cls(
            name=expect(obj.get("name"), str, "op.name"),
            shape=_shape(obj.get("shape"), "op.shape"),
            dim=None if dim is None else expect(dim, int, "op.dim"),
            after=expect(obj.get("after", 0), int, "op.after"),
        )


@dataclass(frozen=True, kw_only=True)
class Call:
    """One call of a layer during forward, in order: a reused layer appears once per call."""

    path: str
    shape: Shape | None

    def to_json(self) -> list[Any]:
        return [self.path, None if self.shape is None else list(self.shape)]

    @classmethod
    def from_json(cls, data: Any) -> Call:
        items = expect(data, list, "call")
        if len(items) != 2:
            raise ProtocolError("call: expected [path, shape]")
        return cls(path=expect(items[0], str, "call.path"), shape=_optional_shape(items[1], "call.shape"))


@dataclass(frozen=True, kw_only=True)
class OutputInfo:
    """What forward returned: a tensor's shape and device, or what else it was."""

    kind: str  # "tensor", "module" or "other"
    type_name: str
    shape: Shape | None = None
    device: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "type_name": self.type_name,
            "shape": None if self.shape is None else list(self.shape),
            "device": self.device,
        }

    @classmethod
    def from_json(cls, data: Any) -> OutputInfo:
        obj = expect(data, dict, "output")
        kind = expect(obj.get("kind"), str, "output.kind")
        if kind not in ("tensor", "module", "other"):
            raise ProtocolError(f"output.kind {kind!r} is unknown")
        device = obj.get("device")
        return cls(
            kind=kind,
            type_name=expect(obj.get("type_name"), str, "output.type_name"),
            shape=_optional_shape(obj.get("shape"), "output.shape"),
            device=None if device is None else expect(device, str, "output.device"),
        )


@dataclass(frozen=True, kw_only=True)
class Structure:
    """A built module as forward used it on one input: layers in call order."""

    output: OutputInfo
    layers: tuple[Layer, ...]
    parameter_count: int
    ops: tuple[Op, ...] = field(default=())
    # Every layer call in order, and the classes the built module is made of ("module.Class").
    calls: tuple[Call, ...] = field(default=())
    classes: tuple[str, ...] = field(default=())

    @property
    def called_layers(self) -> tuple[Layer, ...]:
        return tuple(layer for layer in self.layers if layer.calls > 0)

    @property
    def weighted_layers(self) -> tuple[Layer, ...]:
        """Layers that hold parameters, in the order forward called them."""
        return tuple(layer for layer in self.called_layers if layer.params)

    def to_json(self) -> dict[str, Any]:
        return {
            "output": self.output.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
            "parameter_count": self.parameter_count,
            "ops": [op.to_json() for op in self.ops],
            "calls": [call.to_json() for call in self.calls],
            "classes": list(self.classes),
        }

    @classmethod
    def from_json(cls, data: Any) -> Structure:
        obj = expect(data, dict, "structure")
        layers = expect(obj.get("layers"), list, "structure.layers")
        ops = expect(obj.get("ops", []), list, "structure.ops")
        calls = expect(obj.get("calls", []), list, "structure.calls")
        classes = expect(obj.get("classes", []), list, "structure.classes")
        if (
            len(layers) > settings.MAX_LAYERS
            or len(ops) > settings.MAX_OPS
            or len(calls) > settings.MAX_CALLS
            or len(classes) > settings.MAX_LAYERS
        ):
            raise ProtocolError("structure: too many layers, ops, calls or classes")
        return cls(
            output=OutputInfo.from_json(obj.get("output")),
            layers=tuple(Layer.from_json(layer) for layer in layers),
            parameter_count=expect(obj.get("parameter_count"), int, "parameter_count"),
            ops=tuple(Op.from_json(op) for op in ops),
            calls=tuple(Call.from_json(call) for call in calls),
            classes=tuple(expect(name, str, "structure.classes[]") for name in classes),
        )
