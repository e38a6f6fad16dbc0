"""The child side of the trust boundary: the only code that imports student modules.

A child serves one submission folder. It answers the judge's requests (inspect a
built module on the meta device; run it with given weights on a given input)
with data only: JSON results and tensors as raw bytes (``tensors.py``). Its stdout and stderr go
to a capture file, never to the protocol socket. The judge (``client.py``)
treats every answer as a claim and checks values itself.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import resource
import signal
import socket
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin
from torch.overrides import TorchFunctionMode

from grader import failures, i18n, settings
from grader.failures import FailureKind
from grader.i18n import N_, _
from grader.sandbox import fastmeta, isolation, tensors
from grader.sandbox.messages import Call, Layer, Op, OutputInfo, Structure
from grader.sandbox.protocol import Message, ProtocolError, Target, expect, receive_message, send_message
from grader.sandbox.tensors import DTYPE_BYTES, Dense, TensorInfo, dtype_name

_CONFIG_ATTRIBUTES = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "padding_mode",
    "in_features",
    "out_features",
    "num_features",
    "p",
    "inplace",
    "ceil_mode",
    "negative_slope",
)


class StudentCodeError(Exception):
    """Student code failed; carries what the judge needs to explain it."""

    def __init__(self, kind: FailureKind, message: str, *, where: str = "", trace: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.where = where
        self.trace = trace

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "message": self.message,
            "where": self.where,
            "traceback": self.trace[-settings.MAX_TRACEBACK_CHARS :],
        }


def prepare_process(*, capture_fd: int) -> None:
    """Give a freshly forked or spawned child its own stdio and default signals."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    os.close(capture_fd)
    # The child's own messages (a missing builder, a syntax error) in the student's language.
    i18n.activate(os.environ.get(i18n.LANGUAGE_VARIABLE) or i18n.DEFAULT_LANGUAGE)
    # Student code sees no secrets of the grader's environment (GRADER_FACTS_SEED, tokens).
    kept = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TZ") if name in os.environ}
    os.environ.clear()
    os.environ.update(kept)
    # One thread: small inputs gain nothing from more, and batch grading runs many children.
    torch.set_num_threads(1)


def confine(plan: isolation.Plan, *, submission: Path, memory_bytes: int) -> None:
    """Apply the isolation plan; anything that fails stops the child before student code."""
    isolation.confine(plan, submission=submission, memory_bytes=memory_bytes, held_bytes=_data_bytes())
    _MEMORY_LIMIT[0] = memory_bytes


#: The memory student code may use, as confine() set it; named in the message when it is hit.
_MEMORY_LIMIT = [settings.CHILD_MEMORY_BYTES]


def _data_bytes() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def serve(sock: socket.socket, submission: Path) -> None:
    """Answer requests until the judge closes the socket."""
    child = _Child(submission)
    while True:
        try:
            request = receive_message(sock)
        except (EOFError, ConnectionError):
            return
        reply, outputs = child.handle(request, lambda: receive_message(sock))
        # Student code may have closed or replaced them; what it printed is its own business.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        send_message(sock, Message({**reply.header, **tensors.stream_header(outputs)}))
        for frame in tensors.frames(outputs, reply.header.get("id")):
            send_message(sock, frame)


def _seed(seed: int) -> None:
    """``torch.manual_seed``, in microseconds where no accelerator can be used: there it
    queues a seeding of each lazily started accelerator, each with the caller's formatted
    stack (about 0.3 ms a build, a dozen builds a submission)."""
    if torch.accelerator.is_available():
        torch.manual_seed(seed)
    else:
        torch.default_generator.manual_seed(seed)


@dataclass(frozen=True)
class _TorchDefaults:
    """Torch's process-wide defaults that a module may set at import (``set_default_dtype``,
    ``set_default_device``, ``set_grad_enabled``)."""

    dtype: torch.dtype
    device: torch.device
    grad: bool

    @classmethod
    def now(cls) -> _TorchDefaults:
        return cls(torch.get_default_dtype(), torch.get_default_device(), torch.is_grad_enabled())

    def restore(self) -> None:
        if torch.get_default_dtype() != self.dtype:
            torch.set_default_dtype(self.dtype)
        if torch.get_default_device() != self.device:
            torch.set_default_device(None if self.device == torch.device("cpu") else self.device)
        torch.set_grad_enabled(self.grad)


class _Child:
    def __init__(self, submission: Path) -> None:
        self.submission = submission.resolve()
        self.import_failures: dict[str, StudentCodeError] = {}
        self.student_ran = False
        # A child serves one exercise after another (a module each, or one module for several):
        # each module's requests start from torch's defaults as the child started with them,
        # so one exercise's settings never change how the next one's code runs.
        self.defaults = _TorchDefaults.now()
        self.module: str | None = None
        sys.path.insert(0, str(self.submission))
        # Relative paths in student code mean their own folder, as when they run it.
        os.chdir(self.submission)

    def handle(
        self, request: Message, next_frame: Callable[[], Message]
    ) -> tuple[Message, list[tensors.TensorSource]]:
        """The reply to one request, and the tensors whose frames follow it."""
        request_id = request.header.get("id")
        try:
            op = expect(request.header.get("op"), str, "op")
            if op == "inspect":
                result, outputs = self.inspect(request), []
            elif op == "run":
                result, outputs = self.run(request, next_frame)
            elif op == "ping":
                result, outputs = {}, []
            else:
                raise ProtocolError(f"unknown op {op!r}")
        except StudentCodeError as error:
            return Message({"id": request_id, "ok": False, "error": error.to_json()}), []
        except ProtocolError as error:
            bad = StudentCodeError(FailureKind.BAD_REQUEST, f"bad request: {error}")
            return Message({"id": request_id, "ok": False, "error": bad.to_json()}), []
        except Exception as error:
            # The grader's code in this process failed outside student code. Said as it is;
            # student code that ran here before may be what broke it.
            frame = traceback.extract_tb(error.__traceback__)[-1:]
            failed = StudentCodeError(
                FailureKind.CHILD_CODE_FAILED,
                _grader_failed(
                    ran=self.student_ran,
                    error=f"{type(error).__name__}: {str(error)[:500]}",
                    place=f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "",
                ),
            )
            return Message({"id": request_id, "ok": False, "error": failed.to_json()}), []
        return Message({"id": request_id, "ok": True, "result": result}), outputs

    def inspect(self, request: Message) -> dict[str, Any]:
        """Build, move to meta, run forward on an input of the given shape."""
        target = Target.from_json(request.header.get("target"))
        shape = [expect(v, int, "input_shape") for v in request.header.get("input_shape", [])]
        # The values a module is built with never matter on meta: torch's initialisers are
        # skipped (a VGG16 builds in milliseconds instead of a second).
        module = self.build(target, initialise=False)
        # In eval mode, as every run: a training-mode BatchNorm would also count its batches,
        # an add_ in forward that is no part of what the module computes.
        module.eval()
        layers = _layer_table(module)
        with self.student_code("forward"):
            lazy = _lazy_to_meta(module)
            module = module.to("meta")
        # Factory calls without a device (torch.zeros in forward) land on meta too:
        # the shape check must not allocate, and device bugs are the device check's.
        with torch.device("meta"):
            if lazy:
                self.materialise(module, torch.empty(shape))
            with self.student_code("forward"), torch.no_grad(), _LayerHooks(module, layers) as hooks:
                inputs = torch.empty(shape)
                recorder = _OpRecorder(lambda: len(hooks.calls))
                with recorder:
                    output = module(inputs)
        structure = Structure(
            output=_describe_output(output),
            layers=tuple(hooks.layers()),
            parameter_count=_parameter_count(module),
            ops=tuple(recorder.ops),
            calls=tuple(hooks.calls),
            classes=_classes(module),
        )
        return structure.to_json()

    def run(
        self, request: Message, next_frame: Callable[[], Message]
    ) -> tuple[dict[str, Any], list[tensors.TensorSource]]:
        """Build, load the weight set, run forward in eval mode, return the output.

        The input and the weights follow the request in frames (grader/sandbox/tensors.py);
        each piece of a weight is copied where it belongs as it arrives, so a network's
        weights are never held twice. Whatever fails, every frame is read before the reply.
        """
        header = request.header
        target = Target.from_json(header.get("target"))
        device = expect(header.get("device", "cpu"), str, "device")
        capture = bool(header.get("capture_layers", False))
        infos = tensors.announced(header, max_bytes=settings.MAX_REQUEST_TENSOR_BYTES)
        if device == "meta":
            shape = [expect(v, int, "input_shape") for v in header.get("input_shape", [])]
            module = self.build(target, initialise=False)
            module.eval()
            with self.student_code("forward"):
                # Lazy layers get their shapes in this forward, on meta like the rest.
                _lazy_to_meta(module)
                module = module.to("meta")
                with torch.no_grad():
                    output = module(torch.empty(shape, device="meta"))
            return {"info": _describe_output(output).to_json()}, []
        if not infos or infos[0].name != "input":
            raise ProtocolError("a run needs its input first")
        request_id = header.get("id")
        # With a weight set every parameter is the judge's, and for a shape alone (``zeroed``)
        # values do not matter: torch's initialisers are skipped, the parameters zeroed.
        zeroed = bool(header.get("zeroed", False))
        try:
            module = self.build(target, initialise=len(infos) == 1 and not zeroed)
            module.eval()
            if zeroed:
                with torch.no_grad():
                    for parameter in module.parameters():
                        if not isinstance(parameter, UninitializedTensorMixin):
                            parameter.zero_()
        except BaseException:
            # Every frame is read before the reply, whatever failed, so the next request starts in step.
            tensors.receive(next_frame, infos, request_id, _Discard())
            raise
        sink = _RunSink(self, module, infos)
        tensors.receive(next_frame, infos, request_id, sink)
        sink.raise_failure()
        inputs = sink.inputs()
        if device.startswith("cuda"):
            # The reference ran in float32 on the CPU; TensorFloat-32, cuDNN's default for
            # convolutions, keeps 10 bits of mantissa and would differ by far more than RTOL.
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        layers = _layer_table(module)
        with self.student_code("forward"):
            module = module.to(device)
            with torch.no_grad(), _LayerHooks(module, layers, capture=capture) as hooks:
                output = module(inputs.to(device))
        result: dict[str, Any] = {"info": _describe_output(output).to_json()}
        outputs: list[tensors.TensorSource] = []
        if _crossable(output):
            outputs.append(Dense.of("output", output))
        outputs += [Dense.of(f"layer:{path}", value) for path, value in hooks.captured.items()]
        return result, outputs

    def materialise(self, module: nn.Module, inputs: torch.Tensor) -> None:
        """Give lazy layers (nn.LazyConv2d, nn.LazyLinear…) their shapes with a first forward.

        Outside the layer hooks and the op recorder: the layers' initialisation is torch's
        work, not the student's ops, and the forward that is described comes after it. A
        module without lazy layers is not run an extra time.
        """
        with self.student_code("forward"):
            if not _uninitialized(module):
                return
            with torch.no_grad():
                module(inputs)
            left = _uninitialized(module)
        if left:
            # As in PyTorch itself, where counting or using them raises: their shapes are unknown.
            names = ", ".join(f"`{name}`" for name in left[:5])
            raise StudentCodeError(
                FailureKind.FORWARD_RAISED,
                _(
                    "after a first forward, lazy parameters still have no shape: {names}. "
                    "Lazy layers (nn.LazyConv2d, nn.LazyLinear…) get their shapes when forward first "
                    "calls them: call every layer in forward, or remove the ones it does not use."
                ).format(names=names),
            )

    def build(self, target: Target, *, initialise: bool = True) -> nn.Module:
        builder = self.load_builder(target)
        _seed(target.seed)
        with self.student_code("build"), contextlib.ExitStack() as stack:
            if not initialise:
                stack.enter_context(_skipped_initialisers())
            built = builder(**target.kwargs)
        if isinstance(built, nn.Module):
            return built
        builder = target.builder
        if built is None:
            message = _("{builder}() returned None: did you forget to `return` the module?").format(
                builder=builder
            )
        elif isinstance(built, torch.Tensor):
            message = _(
                "{builder}() returned a Tensor of shape {shape}, not an nn.Module: "
                "return the module itself (its layers), not the result of running it on an input."
            ).format(builder=builder, shape=tuple(built.shape))
        else:
            message = _("{builder}() returned a {type}, not an nn.Module.").format(
                builder=builder, type=type(built).__name__
            )
        raise StudentCodeError(FailureKind.NOT_A_MODULE, message)

    def load_builder(self, target: Target) -> Any:
        if target.module != self.module:
            self.defaults.restore()
            self.module = target.module
        if target.module in self.import_failures:
            raise self.import_failures[target.module]
        if not (self.submission / f"{target.module}.py").is_file():
            raise StudentCodeError(
                FailureKind.MISSING_MODULE,
                _(
                    "{module}.py is missing from your submission "
                    "(copy it from student_template/ and fill it in)."
                ).format(module=target.module),
            )
        try:
            with self.student_code("import"):
                module = importlib.import_module(target.module)
        except StudentCodeError as error:
            self.import_failures[target.module] = error
            raise
        builder = getattr(module, target.builder, None)
        notebook = getattr(module, "__grader_notebook__", None)
        if not callable(builder) and isinstance(notebook, str):
            # A module written from a notebook (grader/notebook/modules.py): name the notebook.
            raise StudentCodeError(
                FailureKind.MISSING_BUILDER,
                _(
                    "{notebook} defines no function {builder}(): define it in a code cell, with the "
                    "name and signature of the template notebook (grade notebook)."
                ).format(notebook=notebook, builder=target.builder),
            )
        if not callable(builder):
            raise StudentCodeError(
                FailureKind.MISSING_BUILDER,
                _(
                    "{module}.py defines no function {builder}(); "
                    "keep the name and signature from student_template/."
                ).format(module=target.module, builder=target.builder),
            )
        return builder

    @contextlib.contextmanager
    def student_code(self, stage: str):
        """Run student code, turning anything it raises into a StudentCodeError."""
        self.student_ran = True
        try:
            yield
        except StudentCodeError:
            raise
        except BaseException as error:
            raise self.classify(error, stage) from None

    def classify(self, error: BaseException, stage: str) -> StudentCodeError:
        """The kind of failure, from the exception's type and errno (never its words)."""
        where, trace = self.locate(error)

        def failed(kind: FailureKind, message: str) -> StudentCodeError:
            return StudentCodeError(kind, message, where=where, trace=trace)

        if isinstance(error, SyntaxError):
            filename = self.relative(error.filename or "")
            where = f"{filename}:{error.lineno}"
            return failed(
                FailureKind.SYNTAX_ERROR,
                _("{error_type} in {file}, line {line}: {error}").format(
                    error_type=type(error).__name__, file=filename, line=error.lineno, error=error.msg
                ),
            )
        if isinstance(error, NotImplementedError):
            return StudentCodeError(
                FailureKind.NOT_IMPLEMENTED,
                _("not implemented yet: the stub still raises NotImplementedError."),
                where=where,
            )
        if isinstance(error, (SystemExit, KeyboardInterrupt)):
            return failed(FailureKind.EXITED, _exited(error, stage, where))
        if _out_of_memory(error):
            if _limited(resource.RLIMIT_DATA):
                return failed(
                    FailureKind.MEMORY_LIMIT, failures.memory_limit_message(stage, where, _MEMORY_LIMIT[0])
                )
            if where:
                message = _("your code ran out of memory during {stage} at {where}.")
            else:
                message = _("your code ran out of memory during {stage}.")
            return failed(FailureKind.MEMORY_LIMIT, message.format(stage=_stage(stage), where=where))
        if isinstance(error, OSError) and error.errno == errno.EMFILE:
            return failed(FailureKind.OTHER_LIMIT, failures.open_files_message(stage, where))
        if isinstance(error, OSError) and error.errno == errno.EFBIG:
            return failed(FailureKind.OTHER_LIMIT, failures.file_size_message(stage, where))
        if isinstance(error, OSError) and error.errno == errno.EAGAIN and _limited(resource.RLIMIT_NPROC):
            return failed(FailureKind.OTHER_LIMIT, failures.processes_message(stage, where))
        kind = {
            "import": FailureKind.IMPORT_ERROR,
            "build": FailureKind.BUILDER_RAISED,
        }.get(stage, FailureKind.FORWARD_RAISED)
        summary = f"{type(error).__name__}: {error}".strip()[:1500]
        message = _("{error} (during {stage} at {where})") if where else _("{error} (during {stage})")
        return failed(kind, message.format(error=summary, stage=_stage(stage), where=where))

    def locate(self, error: BaseException) -> tuple[str, str]:
        """The innermost frame in the submission, and the traceback of its frames."""
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if self.is_submission_file(frame.filename)
        ]
        where = ""
        if frames:
            where = f"{self.relative(frames[-1].filename)}:{frames[-1].lineno}"
        if not frames:
            return where, ""
        lines = [_("Traceback (your code, most recent call last):")]
        lines += [
            f'  File "{self.relative(f.filename)}", line {f.lineno}, in {f.name}\n    {f.line}'
            for f in frames[-8:]
        ]
        lines.append(f"{type(error).__name__}: {str(error)[:500]}".rstrip(": "))
        return where, "\n".join(lines)

    def is_submission_file(self, filename: str) -> bool:
        try:
            Path(filename).resolve().relative_to(self.submission)
        except (ValueError, OSError):
            return False
        return True

    def relative(self, filename: str) -> str:
        try:
            return str(Path(filename).resolve().relative_to(self.submission))
        except (ValueError, OSError):
            return Path(filename).name


#: What student code is doing when it fails; translated where a message names it.
_STAGES = {"import": N_("import"), "build": N_("build"), "forward": N_("forward")}


def _stage(stage: str) -> str:
    """What student code was doing (import, build, forward), in the student's language."""
    return _(_STAGES[stage]) if stage in _STAGES else stage


def _exited(error: SystemExit | KeyboardInterrupt, stage: str, where: str) -> str:
    """Student code that exits or interrupts: said as one sentence, whichever it did and where."""
    if isinstance(error, SystemExit):
        if where:
            message = _(
                "your code raised sys.exit({code}) during {stage} at {where}; "
                "a submission must not exit or interrupt the grader."
            )
        else:
            message = _(
                "your code raised sys.exit({code}) during {stage}; "
                "a submission must not exit or interrupt the grader."
            )
    elif where:
        message = _(
            "your code raised KeyboardInterrupt during {stage} at {where}; "
            "a submission must not exit or interrupt the grader."
        )
    else:
        message = _(
            "your code raised KeyboardInterrupt during {stage}; "
            "a submission must not exit or interrupt the grader."
        )
    code = repr(error.code) if isinstance(error, SystemExit) else ""
    return message.format(code=code, stage=_stage(stage), where=where)


def _grader_failed(*, ran: bool, error: str, place: str) -> str:
    """The grader's code in the child failed: whether student code ran before, and where it failed."""
    if ran and place:
        message = _("after your code ran, the grader's code in the same process failed: {error} at {place}")
    elif ran:
        message = _("after your code ran, the grader's code in the same process failed: {error}")
    elif place:
        message = _(
            "before any of your code ran, the grader's code in the same process failed: {error} at {place}"
        )
    else:
        message = _("before any of your code ran, the grader's code in the same process failed: {error}")
    return message.format(error=error, place=place)


class _Discard:
    """Reads the frames of a request that can no longer be served, so the stream stays in step."""

    def accept(self, index: int, start: int, piece: Any) -> None:
        pass


class _RunSink:
    """The input of a run, then its weights, each piece copied into the module as it arrives."""

    def __init__(self, child: _Child, module: nn.Module, infos: tuple[TensorInfo, ...]) -> None:
        self.child = child
        self.module = module
        self.infos = infos
        self.input = torch.empty(infos[0].numel, dtype=tensors.torch_dtype(infos[0].dtype))
        self.slots: dict[str, torch.Tensor] | None = None
        self.error: StudentCodeError | None = None
        self.crashed: Exception | None = None

    def inputs(self) -> torch.Tensor:
        if self.slots is None:
            self.prepare()  # a run without weights still gives lazy layers their shapes
            if self.error is not None:
                raise self.error
        return self.input.view(self.infos[0].shape)

    def accept(self, index: int, start: int, piece: Any) -> None:
        if self.error is not None or self.crashed is not None:
            return
        try:
            if index == 0:
                self.input[start : start + piece.numel()] = piece
                return
            if self.slots is None:
                self.prepare()
            if self.error is None:
                self.load(self.infos[index], start, piece)
        except Exception as error:
            # Student code that ran before (a patched torch) may break loading; the frames
            # that follow are still read, so the next request starts in step.
            self.crashed = error

    def raise_failure(self) -> None:
        if self.crashed is not None:
            raise self.crashed
        if self.error is not None:
            raise self.error

    def prepare(self) -> None:
        # Lazy layers get their shapes on the CPU before any move (a lazy layer moved first
        # would become an empty tensor) and before the weights load, so that these have
        # somewhere to go. In eval mode: a first forward in training mode would update a lazy
        # batch norm's running statistics.
        try:
            self.child.materialise(self.module, self.input.view(self.infos[0].shape))
        except StudentCodeError as error:
            self.error = error
            self.slots = {}
            return
        slots = dict(self.module.named_parameters())
        slots.update(self.module.named_buffers())
        with torch.no_grad():
            for tensor in slots.values():
                if not tensor.is_contiguous():
                    tensor.data = tensor.data.contiguous()
        self.slots = slots

    def load(self, info: TensorInfo, start: int, piece: torch.Tensor) -> None:
        slot = (self.slots or {}).get(info.name)
        if slot is None or tuple(slot.shape) != info.shape or dtype_name(slot.dtype) != info.dtype:
            self.error = StudentCodeError(
                FailureKind.LOAD_WEIGHTS_FAILED,
                _("could not load a tensor into parameter {name}").format(name=repr(info.name)),
            )
            return
        with torch.no_grad():
            slot.view(-1)[start : start + piece.numel()].copy_(piece)


def _crossable(output: Any) -> bool:
    """A dense tensor of a plain element type can be sent back; anything else is described."""
    return (
        isinstance(output, torch.Tensor)
        and output.layout == torch.strided
        and not output.is_meta
        and dtype_name(output.dtype) in DTYPE_BYTES
    )


#: torch.nn.init's functions, skipped while a module whose values will not matter is built.
_INITIALISERS = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)


@contextlib.contextmanager
def _skipped_initialisers():
    saved = {name: getattr(nn.init, name) for name in _INITIALISERS if hasattr(nn.init, name)}

    def skip(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        return tensor

    for name in saved:
        setattr(nn.init, name, skip)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(nn.init, name, function)


def _statistics(layer: nn.Module) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """A normalisation layer's running statistics, which the judge chooses like its weights.

    Only torch's own (BatchNorm, InstanceNorm with running stats): a buffer a student
    registers is part of what the module computes, and stays as built.
    """
    if not isinstance(layer, nn.modules.batchnorm._NormBase):
        return ()
    return tuple(
        (name, tuple(int(s) for s in buffer.shape))
        for name, buffer in layer.named_buffers(recurse=False)
        if name in ("running_mean", "running_var")
        and buffer is not None
        and not isinstance(buffer, UninitializedTensorMixin)
    )


def _classes(module: nn.Module) -> tuple[str, ...]:
    """The classes the module is made of, by where they are defined (for a course's policy)."""
    names = {f"{type(sub).__module__}.{type(sub).__qualname__}" for sub in module.modules()}
    return tuple(sorted(names)[: settings.MAX_LAYERS])


def _out_of_memory(error: BaseException) -> bool:
    if isinstance(error, MemoryError):
        return True
    # torch's CPU allocator raises a plain RuntimeError with no type or errno of its own;
    # its fixed text (torch's, not the grader's) is all there is to recognise it by.
    return isinstance(error, RuntimeError) and "DefaultCPUAllocator: can't allocate memory" in str(error)


def _limited(kind: int) -> bool:
    soft, _hard = resource.getrlimit(kind)
    return soft != resource.RLIM_INFINITY


def _uninitialized(module: nn.Module) -> list[str]:
    """Paths of the parameters and buffers that lazy layers have not given a shape yet."""
    tensors = [*module.named_parameters(), *module.named_buffers()]
    return [path for path, tensor in tensors if isinstance(tensor, UninitializedTensorMixin)]


def _lazy_to_meta(module: nn.Module) -> bool:
    """Put each lazy parameter and buffer on meta, still lazy; True if there were any.

    ``Module.to`` would turn a lazy parameter into an empty tensor, which no forward can
    use; one created lazy on meta stays lazy through the move, and the first forward gives
    it its shape there, without allocating. Shared ones stay shared.
    """
    twins: dict[int, UninitializedTensorMixin] = {}
    for sub in module.modules():
        for slots, kind in ((sub._parameters, UninitializedParameter), (sub._buffers, UninitializedBuffer)):
            for name, tensor in slots.items():
                if isinstance(tensor, UninitializedTensorMixin):
                    if id(tensor) not in twins:
                        twins[id(tensor)] = kind(
                            requires_grad=tensor.requires_grad, device="meta", dtype=tensor.dtype
                        )
                    slots[name] = twins[id(tensor)]
    return bool(twins)


def _layer_table(module: nn.Module) -> dict[str, nn.Module]:
    """Leaves and parameter holders, by path, in registration order."""
    table: dict[str, nn.Module] = {}
    for path, sub in module.named_modules():
        if not any(True for _ in sub.children()) or any(True for _ in sub.parameters(False)):
            table[path] = sub
    return table


def _torch_type(module: nn.Module) -> str:
    for cls in type(module).__mro__:
        if cls.__module__.startswith("torch.nn.modules") and cls is not nn.Module:
            return cls.__name__
    return type(module).__name__


def _config(module: nn.Module) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name in _CONFIG_ATTRIBUTES:
        value = getattr(module, name, None)
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, (bool, int, float, str)) or (
            isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value)
        ):
            config[name] = value
    if isinstance(getattr(module, "weight", None), nn.Parameter):
        config["bias"] = isinstance(getattr(module, "bias", None), torch.Tensor)
    return config


def _parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _describe_output(output: Any) -> OutputInfo:
    if isinstance(output, torch.Tensor):
        return OutputInfo(
            kind="tensor",
            type_name=type(output).__name__,
            shape=tuple(int(s) for s in output.shape),
            device=output.device.type,
        )
    kind = "module" if isinstance(output, nn.Module) else "other"
    return OutputInfo(kind=kind, type_name=type(output).__name__)


class _LayerHooks:
    """Forward hooks that record call order, output shapes and (optionally) outputs."""

    def __init__(self, module: nn.Module, table: dict[str, nn.Module], *, capture: bool = False):
        self.module = module
        self.paths = {id(sub): path for path, sub in table.items()}
        self.table = table
        self.capture = capture
        self.order: list[str] = []
        self.counts: dict[str, int] = {}
        self.calls: list[Call] = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.captured: dict[str, torch.Tensor] = {}
        self.handles: list[Any] = []

    def __enter__(self) -> _LayerHooks:
        for sub in self.table.values():
            self.handles.append(sub.register_forward_pre_hook(self.before))
            self.handles.append(sub.register_forward_hook(self.after))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles:
            handle.remove()

    def before(self, sub: nn.Module, args: Any) -> None:
        path = self.paths[id(sub)]
        if path not in self.counts:
            self.order.append(path)
        self.counts[path] = self.counts.get(path, 0) + 1

    def after(self, sub: nn.Module, args: Any, output: Any) -> None:
        path = self.paths[id(sub)]
        shape = tuple(int(s) for s in output.shape) if isinstance(output, torch.Tensor) else None
        if len(self.calls) < settings.MAX_CALLS:
            self.calls.append(Call(path=path, shape=shape))
        if path in self.shapes or shape is None:
            return
        self.shapes[path] = shape
        # Only layers with parameters: their outputs are what a difference is explained by.
        if self.capture and any(True for _ in sub.parameters(False)) and _crossable(output):
            self.captured[path] = output.detach().to("cpu").clone()

    def layers(self) -> list[Layer]:
        uncalled = [path for path in self.table if path not in self.counts]
        result = []
        for path in self.order + uncalled:
            sub = self.table[path]
            result.append(
                Layer(
                    path=path,
                    type=_torch_type(sub),
                    class_name=type(sub).__name__,
                    params=tuple(
                        (name, tuple(int(s) for s in p.shape))
                        for name, p in sub.named_parameters(recurse=False)
                    ),
                    config=_config(sub),
                    output_shape=self.shapes.get(path),
                    calls=self.counts.get(path, 0),
                    buffers=_statistics(sub),
                )
            )
        return result


class _OpRecorder(TorchFunctionMode):
    """Records tensor-producing torch calls, for hints such as cat on the wrong dim."""

    def __init__(self, position: Callable[[], int] = lambda: 0) -> None:
        super().__init__()
        self.ops: list[Op] = []
        self.position = position

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if isinstance(result, torch.Tensor) and len(self.ops) < settings.MAX_RECORDED_OPS:
            name = getattr(func, "__name__", str(func))
            dim = kwargs.get("dim")
            if dim is None and name in ("cat", "concat", "concatenate", "stack") and len(args) > 1:
                dim = args[1]
            self.ops.append(
                Op(
                    name=name,
                    shape=tuple(int(s) for s in result.shape),
                    dim=dim if isinstance(dim, int) else None,
                    after=self.position(),
                )
            )
        return result


class _WarmUp(nn.Module):
    """The layers and torch functions the exercises' networks are made of, in the forms
    students write them (modules, functional, in place)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding="same")
        self.strided = nn.Conv2d(4, 4, 3, stride=2, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout()
        self.drop2d = nn.Dropout2d()
        self.norm = nn.BatchNorm2d(2)
        self.relu = nn.ReLU(inplace=True)
        self.lrn = nn.LocalResponseNorm(2)
        self.adaptive = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.drop(nn.functional.relu(self.norm(self.conv(x))))
        y = self.relu(self.lrn(torch.cat([y, y + x], dim=1)))
        y = nn.functional.max_pool2d(y, 3, stride=1, padding=1) + nn.functional.avg_pool2d(y, 3, 1, 1)
        y = self.drop2d(torch.relu(self.strided(self.pool(y))))
        y = torch.flatten(self.adaptive(y), 1) + torch.add(y.mean(dim=(2, 3)), 0)
        return nn.functional.relu(self.linear(y), inplace=True)


def warm_up() -> None:
    """Run the inspect path once on meta, so forked children inherit its lazy imports.

    Only on the meta device: a CPU op here would make forking unsafe. The first meta op of
    many kinds goes through a Python reference implementation whose ``_disable_dynamo``
    wrapper imports ``torch._dynamo`` (1.6 s, more than importing torch) only to wrap itself
    for compiled code. Nothing the grader runs compiles, so a stand-in ``torch._dynamo``
    answers ``disable`` by leaving the function as it is, here and in every child forked from
    here; anything else asked of it (``torch.compile`` in student code) imports the real one.
    """
    fastmeta.install()
    stand_in = _install_dynamo_stand_in()
    try:
        _run_warm_up()
    except Exception:  # a torch whose warm-up needs more of dynamo than ``disable``
        _remove_dynamo_stand_in(stand_in)
        _run_warm_up()


def _run_warm_up() -> None:
    module = _WarmUp().to("meta")
    layers = _layer_table(module)
    with torch.no_grad(), torch.device("meta"), _LayerHooks(module, layers) as hooks, _OpRecorder():
        module(torch.empty(1, 2, 8, 8))
    hooks.layers()


def _install_dynamo_stand_in() -> types.ModuleType | None:
    """A stand-in ``torch._dynamo`` whose ``disable`` returns what it is given; any other name
    asked of it replaces it with the real module and answers from that. None: dynamo is
    already imported."""
    if "torch._dynamo" in sys.modules:
        return None
    stand_in = types.ModuleType("torch._dynamo")

    def disable(fn: Any = None, recursive: bool = True, **_: Any) -> Any:
        return fn if fn is not None else (lambda function: function)

    def real(name: str) -> Any:
        _remove_dynamo_stand_in(stand_in)
        return getattr(importlib.import_module("torch._dynamo"), name)

    stand_in.disable = disable  # type: ignore[attr-defined]
    stand_in.__getattr__ = real  # type: ignore[attr-defined]
    sys.modules["torch._dynamo"] = stand_in
    return stand_in


def _remove_dynamo_stand_in(stand_in: types.ModuleType | None) -> None:
    if stand_in is None:
        return
    if sys.modules.get("torch._dynamo") is stand_in:
        del sys.modules["torch._dynamo"]
    # Read through __dict__: torch's module __getattr__ would import the real one.
    if torch.__dict__.get("_dynamo") is stand_in:
        delattr(torch, "_dynamo")


def main(argv: list[str] | None = None) -> None:
    """Entry point of a spawned (not forked) child."""
    parser = argparse.ArgumentParser(prog="grader.sandbox.child")
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--capture-fd", type=int, required=True)
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--submission", type=Path, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.socket_fd)
    prepare_process(capture_fd=args.capture_fd)
    plan = isolation.Plan(
        layers=(isolation.PROCESS_GROUP, isolation.RESOURCE_LIMITS), limits=dict(settings.CHILD_LIMITS)
    )
    confine(plan, submission=args.submission, memory_bytes=args.memory_bytes)
    fastmeta.install()
    serve(sock, args.submission)


if __name__ == "__main__":
    main()
