"""Layers in words, and the student's layers set beside the reference's."""

from __future__ import annotations

from grader.i18n import _
from grader.sandbox.messages import Layer, Shape


def shape_text(shape: Shape | None) -> str:
    return "?" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def _pair(value: object) -> str:
    if isinstance(value, list) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    if isinstance(value, list):
        return "×".join(str(v) for v in value)
    return str(value)


def effective_padding(layer: Layer) -> list[int] | None:
    """Padding in pixels: 'same' and its number (2 for a 5×5 kernel) describe the same layer."""
    padding = layer.config.get("padding")
    kernel = layer.config.get("kernel_size")
    dilation = layer.config.get("dilation", 1)
    if padding is None:
        return None
    if isinstance(kernel, int):
        kernel = [kernel, kernel]
    if isinstance(dilation, int):
        dilation = [dilation] * len(kernel or [])
    if padding == "same" and isinstance(kernel, list):
        return [d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=False)]
    if isinstance(padding, int):
        return [padding] * len(kernel or [1])
    return padding if isinstance(padding, list) else None


def describe(layer: Layer) -> str:
    """E.g. ``Conv2d 1→8 5×5 padding=same``: the facts a student compares."""
    config = layer.config
    words = [layer.type]
    if "in_channels" in config:
        words.append(f"{config['in_channels']}→{config['out_channels']}")
    if "in_features" in config:
        words.append(f"{config['in_features']}→{config['out_features']}")
    if "num_features" in config:
        words.append(str(config["num_features"]))
    if "kernel_size" in config:
        kernel = config["kernel_size"]
        size = _pair(kernel)
        words.append(size if "×" in size else f"{size}×{size}")
    padding = effective_padding(layer)
    if padding and any(padding):
        words.append(f"padding={_pair(padding)}")
    stride = config.get("stride")
    if "in_channels" in config and stride not in (None, 1, [1, 1]):
        words.append(f"stride={_pair(stride)}")
    if config.get("bias") is False:
        words.append("bias=False")
    if layer.type.startswith("Dropout") and "p" in config:
        words.append(f"p={config['p']}")
    return " ".join(words)


def named(layer: Layer) -> str:
    """A layer as a message names it: `branch3.1` (Conv2d 128→128 3×3)."""
    return f"`{layer.path or _('(the module itself)')}` ({describe(layer)})"


def cell(layer: Layer | None) -> str:
    if layer is None:
        return "—"
    where = layer.path or _("(the module itself)")
    count = " · " + _("{count} params").format(count=f"{layer.parameter_count:,}") if layer.params else ""
    return f"{where}: {describe(layer)} → {shape_text(layer.output_shape)}{count}"
