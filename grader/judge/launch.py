"""Start the judge: pytest in its own isolated interpreter, configured only by the grader.

``python -I`` ignores PYTHON* variables, the user's site-packages and the
current folder; ``-c`` names the judge's ini file so nothing in a submission
can configure pytest; conftest files and plugin auto-loading are off, and so is
the cache. Student files are never under pytest's rootdir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import settings
from grader.course import Exercise
from grader.sandbox.zygote import Zygote

#: pytest's exit codes that mean the judge ran every check (some may have failed).
_GRADED = (0, 1)


@dataclass(frozen=True, kw_only=True)
class JudgeRun:
    returncode: int
    raw: dict[str, Any] | None
    log: str

    @property
    def completed(self) -> bool:
        return self.returncode in _GRADED and self.raw is not None


def protected_paths(course_dir: Path) -> list[Path]:
    """What a child must never read: the reference, the checks, the stored facts."""
    return [course_dir / "reference", course_dir / "assignments", settings.default_facts_cache()]


def judge_command(*, course_dir: Path, exercises: tuple[Exercise, ...], options: list[str]) -> list[str]:
    return [
        sys.executable,
        "-I",
        "-m",
        "pytest",
        *judge_arguments(course_dir=course_dir, exercises=exercises, options=options),
    ]


def judge_arguments(*, course_dir: Path, exercises: tuple[Exercise, ...], options: list[str]) -> list[str]:
    """pytest's arguments for the judge, whether it runs as a process or a fork."""
    return [
        "-c",
        str(settings.JUDGE_INI_PATH),
        "--rootdir",
        str(course_dir),
        "--noconftest",
        "--disable-plugin-autoload",
        "-p",
        "no:cacheprovider",
        # Both end a session with gc.collect(), five times: slow over torch's heap, and the
        # judge has no use for their warnings.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "pytest_jsonreport.plugin",
        "-p",
        "grader.judge.plugin",
        "-q",
        "--no-header",
        "-rN",
        "--tb=no",  # feedback comes from the plugin; tracebacks of failures cost ~50 ms each
        "--assert=plain",  # checks raise their own failures: no assertion rewriting to compile
        f"--course={course_dir}",
        *options,
        *(str(exercise.directory) for exercise in exercises),
    ]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def judge_options(
    *, submission: Path, seed_material: str, timeout_s: float, raw_path: Path, hidden: bool = False
) -> list[str]:
    return [
        f"--submission={submission}",
        f"--seed-material={seed_material}",
        f"--request-timeout={timeout_s}",
        "--json-report",
        f"--json-report-file={raw_path}",
        *(["--hidden"] if hidden else []),
    ]


def judge_time_bound(timeout_s: float, exercises: int) -> float:
    """Bounded even if every check ran into its own timeout."""
    return 60 + timeout_s * 12 * max(1, exercises)


def run_judge(
    *,
    course_dir: Path,
    exercises: tuple[Exercise, ...],
    submission: Path,
    seed_material: str,
    timeout_s: float,
    start_method: str | None = None,
    zygote: Zygote | None = None,
    hidden: bool = False,
) -> JudgeRun:
    """Run the judge; with a ``zygote`` already warming, hand its control socket over."""
    with tempfile.TemporaryDirectory(prefix="grader-judge-") as work:
        raw_path = Path(work) / "raw.json"
        options = judge_options(
            submission=submission,
            seed_material=seed_material,
            timeout_s=timeout_s,
            raw_path=raw_path,
            hidden=hidden,
        )
        if start_method:
            options.append(f"--start-method={start_method}")
        passed: tuple[int, ...] = ()
        if zygote is not None:
            passed = (zygote.control.fileno(),)
            options.append(f"--zygote-fd={passed[0]}")
        command = judge_command(course_dir=course_dir, exercises=exercises, options=options)
        overall = judge_time_bound(timeout_s, len(exercises))
        try:
            done = subprocess.run(
                command,
                cwd=work,
                env=_environment(),
                capture_output=True,
                timeout=overall,
                check=False,
                pass_fds=passed,
            )
        except subprocess.TimeoutExpired as expired:
            log = (expired.stdout or b"").decode(errors="replace")
            return JudgeRun(returncode=-1, raw=None, log=f"the judge ran past {overall:g} s\n{log}")
        log = (done.stdout + done.stderr).decode(errors="replace")
        try:
            raw = json.loads(raw_path.read_text())
        except (OSError, ValueError):
            raw = None
        return JudgeRun(returncode=done.returncode, raw=raw, log=log)


def collect_checks(*, course_dir: Path, exercises: tuple[Exercise, ...]) -> list[dict[str, Any]]:
    """The checks with their points, as the judge would run them (no torch needed)."""
    with tempfile.TemporaryDirectory(prefix="grader-collect-") as work:
        target = Path(work) / "checks.json"
        command = judge_command(
            course_dir=course_dir,
            exercises=exercises,
            options=["--collect-only", f"--collect-json={target}"],
        )
        done = subprocess.run(command, cwd=work, env=_environment(), capture_output=True, check=False)
        if not target.is_file():
            log = (done.stdout + done.stderr).decode(errors="replace")
            raise RuntimeError(f"collecting the checks failed:\n{log[-3000:]}")
        return json.loads(target.read_text())
