"""The judge server behind a warm parent (grader/judge/server.py): judges forked after pytest's
configuration and collection grade as a fresh judge does; a server that dies fails only the
judges it was running and is replaced; closing the warm parent leaves nothing running."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.course import Course
from grader.judge.launch import JudgeJob, WarmParent, finished, run_subprocess
from grader.report.from_pytest import build_report
from grader.report.model import Submission
from tests.conftest import ROOT, live_children

SCENARIOS = ROOT / "tests" / "scenarios"


@pytest.fixture(scope="module")
def warm() -> Iterator[WarmParent]:
    parent = WarmParent(course_dir=ROOT, homework="blocks")
    yield parent
    parent.close()


def _job(
    tmp_path: Path, scenario: str, *, hidden: bool, name: str = "judge", timeout_s: float = 10.0
) -> JudgeJob:
    work = tmp_path / name
    work.mkdir()
    return JudgeJob(
        course_dir=ROOT,
        homework="blocks",
        exercises=Course.load(ROOT).homework("blocks").exercises,
        submission=SCENARIOS / scenario / "submission",
        seed_material=f"{scenario} seeds",
        timeout_s=timeout_s,
        hidden=hidden,
        work=work,
        language="en",
    )


def _outcomes(job: JudgeJob, run) -> dict[str, tuple[str, float]]:
    assert run.completed, run.error
    report = build_report(
        raw=run.raw,
        homework=job.homework,
        exercises=job.exercises,
        submission=Submission(path=str(job.submission), files=(), sha256=""),
        created="",
        duration_s=0.0,
        error=run.error,
        course_dir=ROOT,
        language=job.language,
    )
    return {
        f"{assignment.id}/{check.id}": (check.status.value, check.score)
        for assignment in report.assignments
        for check in assignment.checks
    }


@pytest.mark.parametrize("hidden", [False, True], ids=["student", "instructor"])
def test_a_forked_judge_grades_as_a_fresh_judge(warm: WarmParent, tmp_path: Path, hidden: bool) -> None:
    """Each kind of grading has its server; its judges give a fresh judge's results, check by
    check, for a submission with mistakes in it."""
    forked = _job(tmp_path, "wrong_padding", hidden=hidden, name="forked")
    fresh = _job(tmp_path, "wrong_padding", hidden=hidden, name="fresh")
    expected = _outcomes(fresh, run_subprocess(fresh))
    assert _outcomes(forked, warm.run(forked)) == expected
    assert any(status == "failed" for status, _score in expected.values())
    assert any(status == ("passed" if hidden else "skipped") for status, _ in expected.values())
    assert forked.server_key in warm._servers


def test_a_server_that_dies_fails_its_judge_and_is_replaced(warm: WarmParent, tmp_path: Path) -> None:
    hung = _job(tmp_path, "infinite_loop_builder", hidden=False, name="hung", timeout_s=30)
    pid = warm.start(hung)
    server = warm._servers[hung.server_key]
    time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)  # the server, not the judge
    deadline = time.monotonic() + 10
    while (status := warm.poll(pid)) is None:
        assert time.monotonic() < deadline, "the judge of a dead server was never ended"
        time.sleep(0.01)
    run = finished(hung, status)
    assert not run.completed and "stopped with status" in (run.error or "")
    again = _job(tmp_path, "seed_answers", hidden=False, name="again")
    assert warm.run(again).completed
    assert warm._servers[again.server_key] is not server


def test_closing_the_warm_parent_ends_its_servers_and_running_judges(tmp_path: Path) -> None:
    parent = WarmParent(course_dir=ROOT, homework="blocks")
    hung = _job(tmp_path, "infinite_loop_builder", hidden=False, timeout_s=30)
    judge = parent.start(hung)
    servers = [server.pid for server in parent._servers.values()]
    time.sleep(0.5)  # the judge is running the checks, its children started
    parent.close()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in [judge, *servers]):
        assert time.monotonic() < deadline, "a server or judge outlived the warm parent"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_failed_check_is_reported_without_pytests_traceback(tmp_path: Path) -> None:
    """Its feedback is the plugin's; pytest formatting the traceback too cost ~3 ms a failure."""
    job = _job(tmp_path, "wrong_padding", hidden=False)
    run = run_subprocess(job)
    failed = [test for test in run.raw["tests"] if test["outcome"] == "failed"]
    assert failed
    for test in failed:
        longrepr = test["call"]["longrepr"]
        assert longrepr.startswith(("CheckFailed: ", "SubmissionFailed: ")) and "\n" not in longrepr, longrepr


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_private_zygote_serves_the_next_judge_once_the_last_ones_children_are_ended(
    warm: WarmParent, tmp_path: Path
) -> None:
    """A judge's private zygote is reset and lent again: no fork of a torch process a
    submission for it, and nothing the last judge started outlives it."""
    warm.run(_job(tmp_path, "seed_answers", hidden=False, name="first"))
    private = live_children(warm.zygote.process.pid)
    hung = _job(tmp_path, "infinite_loop_builder", hidden=False, name="hung", timeout_s=30)
    pid = warm.start(hung)
    deadline = time.monotonic() + 20
    while not (students := {c for z in private for c in live_children(z) if _cpu_s(c) > 0.3}):
        assert time.monotonic() < deadline, "the hung judge's child never reached the endless loop"
        time.sleep(0.01)
    warm.stop(pid)
    assert warm.run(_job(tmp_path, "seed_answers", hidden=False, name="next")).completed
    assert live_children(warm.zygote.process.pid) == private, "the same private zygote, no new one"
    assert not any(_alive(child) for child in students), "the hung child outlived its judge"
