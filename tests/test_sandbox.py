"""Children that hang, crash, exit or flood: each request fails with a clear message, and the
sandbox goes on with a fresh child."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from grader import settings
from grader.failures import FailureKind
from grader.sandbox.client import Sandbox, SpawnLauncher, SubmissionFailed, default_launcher
from grader.sandbox.protocol import Target
from grader.sandbox.zygote import ExitStatus
from tests.conftest import survivors

GOOD = """
from torch import nn

def build():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
"""


@pytest.fixture(scope="module")
def launcher():
    launcher = default_launcher("fork")
    yield launcher
    launcher.close()


@pytest.fixture
def tmp_path() -> Path:
    """A submission folder the sandbox's own uid can reach (pytest's are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _submission(tmp_path: Path, **modules: str) -> Path:
    for name, source in {"good": GOOD, **modules}.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


def _target(module: str) -> Target:
    return Target(module=module, builder="build")


def _failure(sandbox: Sandbox, module: str) -> SubmissionFailed:
    with pytest.raises(SubmissionFailed) as caught:
        sandbox.inspect(_target(module), (1, 3, 8, 8))
    return caught.value


def test_a_good_module_is_inspected_at_a_huge_size_without_allocating(launcher, tmp_path: Path) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path))
    structure = sandbox.inspect(_target("good"), (4096, 3, 4096, 4096))
    assert structure.output.shape == (4096, 4, 4094, 4094)
    assert [layer.type for layer in structure.called_layers] == ["Conv2d", "ReLU"]
    sandbox.close()


def test_timeout_kills_everything_the_child_started(launcher, tmp_path: Path) -> None:
    marker = f"grader-test-{os.getpid()}-timeout"
    hang = f"""
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", {marker!r}])
    def build():
        time.sleep(60)
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, hang=hang), timeout_s=1.5)
    started = time.monotonic()
    failure = _failure(sandbox, "hang").failure
    assert failure.kind is FailureKind.TIMEOUT
    assert "did not finish within 1.5 s" in failure.message
    assert time.monotonic() - started < 8
    assert survivors(marker) == [], "a process the child started survived the timeout"
    assert _failure(sandbox, "hang").failure.kind is FailureKind.TIMEOUT, "a hung target is not asked again"
    assert sandbox.inspect(_target("good"), (1, 3, 8, 8)).output.shape == (1, 4, 6, 6)
    sandbox.close()


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("import os\nos._exit(3)\n", FailureKind.EXITED, "exited with status 3"),
        ("import ctypes\nctypes.string_at(0)\n", FailureKind.SIGNAL, "SIGSEGV"),
        ("import os\nos.abort()\n", FailureKind.SIGNAL, "was killed by SIG"),
    ],
    ids=["os._exit", "segfault", "abort"],
)
def test_a_child_that_dies_fails_the_request_and_is_replaced(
    launcher, tmp_path: Path, source, kind, words
) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, dying=source))
    failure = _failure(sandbox, "dying").failure
    assert failure.kind is kind
    assert words in failure.message
    assert sandbox.inspect(_target("good"), (1, 3, 8, 8)).output.shape == (1, 4, 6, 6)
    sandbox.close()


class _Recording:
    """A launcher that keeps how each child ended."""

    def __init__(self, inner, statuses=None) -> None:
        self.inner = inner
        self.statuses = statuses
        self.ended: list[ExitStatus] = []

    def start(self, **options):
        return self.inner.start(**options)

    def wait(self, child, timeout: float):
        status = self.inner.wait(child, timeout)
        if status is not None and self.statuses:
            status = self.statuses.pop(0)
        if status is not None:
            self.ended.append(status)
        return status


def test_cpu_time_is_measured_however_the_child_ended(launcher, tmp_path: Path) -> None:
    busy = """
    import os, time
    started = time.process_time()
    while time.process_time() - started < 1.0:
        pass
    os._exit(5)
    """
    recording = _Recording(launcher)
    sandbox = Sandbox(launcher=recording, submission=_submission(tmp_path, busy=busy))
    assert _failure(sandbox, "busy").failure.kind is FailureKind.EXITED
    assert recording.ended[0].code == 5
    assert 0.9 < recording.ended[0].cpu_s < 5


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGXCPU])
def test_the_cpu_limit_is_named_from_the_time_used(launcher, tmp_path: Path, how: int) -> None:
    # The kernel sends SIGXCPU at the limit, but a pid namespace's first process ignores it
    # and is SIGKILLed at the hard limit: either way, the CPU time used is over the limit.
    limit = settings.CHILD_LIMITS["cpu_s"]
    ended = ExitStatus(signal=how, cpu_s=limit + 0.5 if how == signal.SIGKILL else 3.0)
    recording = _Recording(launcher, statuses=[ended])
    sandbox = Sandbox(launcher=recording, submission=_submission(tmp_path, dying="import os\nos._exit(0)\n"))
    failure = _failure(sandbox, "dying").failure
    assert failure.kind is FailureKind.CPU_LIMIT
    assert f"more than {limit} s of CPU time, the grader's limit" in failure.message


def test_a_kill_by_someone_else_is_said_as_it_is(launcher, tmp_path: Path) -> None:
    recording = _Recording(launcher, statuses=[ExitStatus(signal=signal.SIGKILL, cpu_s=0.2)])
    sandbox = Sandbox(launcher=recording, submission=_submission(tmp_path, dying="import os\nos._exit(0)\n"))
    failure = _failure(sandbox, "dying").failure
    assert failure.kind is FailureKind.SIGNAL
    assert "was killed by SIGKILL (by the system or another process, not by the grader)" in failure.message
    assert "memory" not in failure.message, "a cause is never guessed"


def test_memory_blow_up_is_reported(launcher, tmp_path: Path) -> None:
    greedy = """
    import torch
    def build():
        return torch.empty(10**11)
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, greedy=greedy), memory_bytes=2**30)
    failure = _failure(sandbox, "greedy").failure
    assert failure.kind is FailureKind.MEMORY_LIMIT
    assert "more than 1 GiB of memory, the grader's limit, during build at greedy.py:4" in failure.message
    sandbox.close()


def test_too_many_open_files_names_the_limit(launcher, tmp_path: Path) -> None:
    hoarder = """
    def build():
        return [open("/dev/null") for _ in range(100_000)]
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, hoarder=hoarder))
    failure = _failure(sandbox, "hoarder").failure
    assert failure.kind is FailureKind.OTHER_LIMIT
    limit = settings.CHILD_LIMITS["open_files"]
    assert f"opened more than {limit} files at once, the grader's limit, during build" in failure.message
    sandbox.close()


def test_output_is_kept_as_head_and_tail_and_fails_nothing(launcher, tmp_path: Path) -> None:
    noisy = """
    import sys
    from torch import nn
    print("the start of the noise")
    print("x" * 50_000_000)
    sys.stderr.write("the end of the noise")
    def build():
        print("y" * 1_000_000)
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    def broken():
        raise ValueError("boom")
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, noisy=noisy))
    structure = sandbox.inspect(_target("noisy"), (1, 3, 8, 8))
    assert structure.output.shape == (1, 4, 6, 6)
    with pytest.raises(SubmissionFailed) as caught:
        sandbox.inspect(Target(module="noisy", builder="broken"), (1, 3, 8, 8))
    failure = caught.value.failure
    assert failure.kind is FailureKind.BUILDER_RAISED
    assert "ValueError: boom" in failure.message
    assert failure.output.startswith("the start of the noise")
    assert "the end of the noise" in failure.output
    kept = settings.OUTPUT_HEAD_BYTES + settings.OUTPUT_TAIL_BYTES
    dropped = len("the start of the noise\n") + 50_000_001 + len("the end of the noise") + 1_000_001 - kept
    assert f"{dropped:,} bytes of output not kept" in failure.output
    assert len(failure.output) < kept + 100
    sandbox.close()


def test_an_exception_in_student_code_carries_their_traceback(launcher, tmp_path: Path) -> None:
    layered = """
    from torch import nn

    class Block(nn.Module):
        def forward(self, x):
            return helper(x)

    def helper(x):
        return x.view(-1, 7)

    def build():
        return Block()
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, layered=layered))
    failure = _failure(sandbox, "layered").failure
    assert failure.kind is FailureKind.FORWARD_RAISED
    assert failure.where == "layered.py:9"
    lines = failure.traceback.splitlines()
    assert lines[0] == "Traceback (your code, most recent call last):"
    assert 'File "layered.py", line 6, in forward' in failure.traceback
    assert 'File "layered.py", line 9, in helper' in failure.traceback
    assert lines[-1].startswith("RuntimeError: shape '[-1, 7]' is invalid")
    assert "grader" not in failure.traceback, "only the student's own frames"
    sandbox.close()


def test_keyboard_interrupt_and_signals_to_the_judge_are_contained(launcher, tmp_path: Path) -> None:
    rude = """
    def build():
        raise KeyboardInterrupt
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, rude=rude))
    failure = _failure(sandbox, "rude").failure
    assert failure.kind is FailureKind.EXITED
    assert "KeyboardInterrupt" in failure.message
    sandbox.close()


def test_spawned_children_work_where_forking_is_not_used(tmp_path: Path) -> None:
    sandbox = Sandbox(
        launcher=SpawnLauncher(), submission=_submission(tmp_path, dying="import os\nos._exit(4)\n")
    )
    assert sandbox.inspect(_target("good"), (2, 3, 5, 5)).output.shape == (2, 4, 3, 3)
    assert "exited with status 4" in _failure(sandbox, "dying").failure.message
    sandbox.close()


def test_closing_a_sandbox_ends_its_child(launcher, tmp_path: Path) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path))
    sandbox.inspect(_target("good"), (1, 3, 4, 4))
    pid = sandbox.child.pid
    sandbox.close()
    assert _ended(pid), "the child is killed at once; its zygote reaps it"


ZEROS = """
import torch
from torch import nn

class Zeros(nn.Module):
    def forward(self, x):
        return torch.zeros(2)  # in the default dtype

def build():
    return Zeros()
"""
DOUBLE = f"""{ZEROS}
print("printed by double.py")
torch.set_default_dtype(torch.float64)
"""

RAISES = """
from torch import nn

def build():
    print("printed by raises.py")
    raise ValueError("not this time")
"""


def test_a_child_whose_requests_all_succeeded_serves_the_next_exercise_from_torchs_defaults(
    launcher, tmp_path: Path
) -> None:
    import torch

    submission = _submission(tmp_path, double=DOUBLE, zeros=ZEROS, raises=RAISES)
    first = Sandbox(launcher=launcher, submission=submission)
    assert first.run(_target("double"), torch.ones(1)).tensor.dtype == torch.float64
    child = first.handover()
    assert child is not None and first.child is None
    second = Sandbox(launcher=launcher, submission=submission, child=child)
    output = second.run(_target("zeros"), torch.ones(1)).tensor
    assert second.child.pid == child.pid, "the same process, no fork"
    assert output.dtype == torch.float32, "the last module's set_default_dtype is undone"
    failure = _failure(second, "raises").failure
    assert "printed by raises.py" in failure.output
    assert "printed by double.py" not in failure.output, "what the last exercise printed is not this one's"
    assert second.handover() is None, "a child that failed a request is not handed over"
    assert _ended(child.pid)


def test_a_child_that_failed_is_never_handed_over(launcher, tmp_path: Path) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, raises=RAISES))
    _failure(sandbox, "raises")
    assert sandbox.child is not None, "alive: its builder raised"
    pid = sandbox.child.pid
    assert sandbox.handover() is None
    assert _ended(pid)


def _ended(pid: int, seconds: float = 2.0) -> bool:
    """Whether ``pid`` is gone or a zombie (dead, waiting for its parent) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.01)
    return False


LAZY = """
from torch import nn

def build():
    return nn.Sequential(
        nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(5)
    )

class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(4, 3)

    def forward(self, x):
        return self.conv(x).view(-1, 7)

def broken():
    return Broken()

class Spare(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.LazyConv2d(4, 3)
        self.spare = nn.LazyLinear(2)

    def forward(self, x):
        return self.used(x)

def spare():
    return Spare()

def eager():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)
    )
"""


def test_a_lazy_module_is_inspected_at_a_huge_size_without_allocating(launcher, tmp_path: Path) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, lazy=LAZY))
    structure = sandbox.inspect(_target("lazy"), (4096, 3, 4096, 4096))
    assert structure.output.shape == (4096, 5)
    # Reported as the eager layers they became, with the shapes the first forward gave them.
    assert [layer.type for layer in structure.called_layers] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "Flatten",
        "Linear",
    ]
    assert structure.called_layers[0].class_name == "Conv2d"
    params = {layer.path: dict(layer.params) for layer in structure.called_layers}
    assert params["0"] == {"weight": (4, 3, 3, 3), "bias": (4,)}
    assert params["4"] == {"weight": (5, 4 * 4094 * 4094), "bias": (5,)}
    assert structure.called_layers[0].config["in_channels"] == 3
    assert structure.parameter_count == 4 * 27 + 4 + 2 * 4 + 5 * 4 * 4094 * 4094 + 5
    # Only the forward that is described is recorded, not the layers' initialisation; in eval
    # mode, so no add_ of batch norm's count of batches.
    ops = ["conv2d", "batch_norm", "relu", "flatten", "linear"]
    assert [op.name for op in structure.ops] == ops
    sandbox.close()


def test_a_lazy_module_runs_with_loaded_weights_like_its_eager_form(launcher, tmp_path: Path) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    eager = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)
    )
    with torch.no_grad():
        for tensor in (eager[1].running_mean, eager[1].running_var, eager[1].weight):
            tensor.uniform_(0.5, 1.5)
    eager.eval()
    weights = {**dict(eager.named_parameters()), **dict(eager.named_buffers())}
    weights = {path: tensor.detach().clone() for path, tensor in weights.items()}
    inputs = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        expected = eager(inputs)
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, lazy=LAZY))
    # Described exactly as the eager form is: layers, parameters, shapes, recorded ops.
    lazily = sandbox.inspect(_target("lazy"), (2, 3, 8, 8))
    assert lazily == sandbox.inspect(Target(module="lazy", builder="eager"), (2, 3, 8, 8))
    first = sandbox.run(_target("lazy"), inputs, weights=weights)
    second = sandbox.run(_target("lazy"), inputs, weights=weights)
    assert torch.equal(first.tensor, expected)
    assert torch.equal(second.tensor, expected), "the first forward changed no running statistics"
    on_meta = sandbox.run(_target("lazy"), (2, 3, 8, 8), device="meta")
    assert on_meta.info.shape == (2, 5)
    assert on_meta.info.device == "meta"
    sandbox.close()


@pytest.mark.parametrize("how", ["inspect", "run", "run on meta"])
def test_a_lazy_module_whose_first_forward_raises_reports_the_students_line(
    launcher, tmp_path: Path, how: str
) -> None:
    import torch

    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, lazy=LAZY))
    target = Target(module="lazy", builder="broken")
    with pytest.raises(SubmissionFailed) as caught:
        if how == "inspect":
            sandbox.inspect(target, (1, 3, 8, 8))
        elif how == "run":
            sandbox.run(target, torch.randn(1, 3, 8, 8))
        else:
            sandbox.run(target, (1, 3, 8, 8), device="meta")
    failure = caught.value.failure
    assert failure.kind is FailureKind.FORWARD_RAISED
    assert failure.where == "lazy.py:15"
    assert "RuntimeError: shape '[-1, 7]' is invalid" in failure.message
    assert "grader's code" not in failure.message
    sandbox.close()


def test_a_lazy_layer_forward_never_calls_is_named(launcher, tmp_path: Path) -> None:
    import torch

    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, lazy=LAZY))
    target = Target(module="lazy", builder="spare")
    for ask in (
        lambda: sandbox.inspect(target, (1, 3, 8, 8)),
        lambda: sandbox.run(target, torch.randn(1, 3, 8, 8)),
    ):
        with pytest.raises(SubmissionFailed) as caught:
            ask()
        failure = caught.value.failure
        assert failure.kind is FailureKind.FORWARD_RAISED
        assert "lazy parameters still have no shape: `spare.weight`, `spare.bias`" in failure.message
    sandbox.close()
