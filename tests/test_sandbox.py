"""Children that hang, crash, exit or flood: each request fails with a clear message, and the
sandbox goes on with a fresh child."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox.client import TIMEOUT, Sandbox, SpawnLauncher, SubmissionFailed, default_launcher
from grader.sandbox.protocol import ChildErrorKind, Target
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
    assert failure.kind == TIMEOUT
    assert "did not finish within 1.5 s" in failure.message
    assert time.monotonic() - started < 8
    assert survivors(marker) == [], "a process the child started survived the timeout"
    assert _failure(sandbox, "hang").failure.kind == TIMEOUT, "a hung target is not asked again"
    assert sandbox.inspect(_target("good"), (1, 3, 8, 8)).output.shape == (1, 4, 6, 6)
    sandbox.close()


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("import os\nos._exit(3)\n", "exited with status 3"),
        ("import ctypes\nctypes.string_at(0)\n", "SIGSEGV"),
        ("import os\nos.abort()\n", "was killed by SIG"),
    ],
    ids=["os._exit", "segfault", "abort"],
)
def test_a_child_that_dies_fails_the_request_and_is_replaced(launcher, tmp_path: Path, source, words) -> None:
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, dying=source))
    failure = _failure(sandbox, "dying").failure
    assert failure.kind == "died"
    assert words in failure.message
    assert sandbox.inspect(_target("good"), (1, 3, 8, 8)).output.shape == (1, 4, 6, 6)
    sandbox.close()


def test_memory_blow_up_is_reported(launcher, tmp_path: Path) -> None:
    greedy = """
    import torch
    def build():
        return torch.empty(10**11)
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, greedy=greedy), memory_bytes=2**30)
    failure = _failure(sandbox, "greedy").failure
    assert failure.kind == ChildErrorKind.OUT_OF_MEMORY.value
    sandbox.close()


def test_output_is_captured_and_truncated_never_mixed_with_the_protocol(launcher, tmp_path: Path) -> None:
    noisy = """
    import sys
    print("x" * 5_000_000)
    sys.stderr.write("the end of the noise")
    def build():
        raise ValueError("boom")
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, noisy=noisy))
    failure = _failure(sandbox, "noisy").failure
    assert failure.kind == ChildErrorKind.BUILDER_RAISED.value
    assert "ValueError: boom" in failure.message
    assert failure.output.endswith("the end of the noise")
    assert len(failure.output) < 3000
    sandbox.close()


def test_keyboard_interrupt_and_signals_to_the_judge_are_contained(launcher, tmp_path: Path) -> None:
    rude = """
    def build():
        raise KeyboardInterrupt
    """
    sandbox = Sandbox(launcher=launcher, submission=_submission(tmp_path, rude=rude))
    failure = _failure(sandbox, "rude").failure
    assert failure.kind == ChildErrorKind.EXITED.value
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
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
