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
        }

    @classmethod
    def from_json(cls, data: Any) -> Layer:
        obj = expect(data, dict, "layer")
        params = []
        for item in expect(obj.get("params"), list, "layer.params"):
            name, shape = expect(item, list, "layer.params[]")
            params.append((expect(name, str, "param name"), _shape(shape, "param shape")))
        return cls(
            path=expect(obj.get("path"), str, "layer.path"),
            type=expect(obj.get("type"), str, "layer.type"),
            class_name=expect(obj.get("class_name"), str, "layer.class_name"),
            params=tuple(params),
            config=_scalar_dict(obj.get("config", {}), "layer.config"),
            output_shape=_optional_shape(obj.get("output_shape"), "layer.output_shape"),
            calls=expect(obj.get("calls"), int, "layer.calls"),
        )


@dataclass(frozen=True, kw_only=True)
class Op:
    """One tensor-producing torch call made during forward (for hints)."""

    name: str
    shape: Shape
    dim: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dim": self.dim}

    @classmethod
    def from_json(cls, data: Any) -> Op:
        obj = expect(data, dict, "op")
        dim = obj.get("dim")
        return cls(
            name=expect(obj.get("name"), str, "op.name"),
            shape=_shape(obj.get("shape"), "op.shape"),
            dim=None if dim is None else expect(dim, int, "op.dim"),
        )


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
        }

    @classmethod
    def from_json(cls, data: Any) -> Structure:
        obj = expect(data, dict, "structure")
        layers = expect(obj.get("layers"), list, "structure.layers")
        ops = expect(obj.get("ops", []), list, "structure.ops")
        if len(layers) > settings.MAX_LAYERS or len(ops) > settings.MAX_OPS:
            raise ProtocolError("structure: too many layers or ops")
        return cls(
            output=OutputInfo.from_json(obj.get("output")),
            layers=tuple(Layer.from_json(layer) for layer in layers),
            parameter_count=expect(obj.get("parameter_count"), int, "parameter_count"),
            ops=tuple(Op.from_json(op) for op in ops),
        )
