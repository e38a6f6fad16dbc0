"""Each folder under tests/scenarios/ is a submission and the outcome it must get.

``expected.json`` says, per exercise, the exact score, optionally the matched
variant, the exact set of checks that do not pass, and words that must appear in
a check's feedback (message and hints). Grading runs end to end: the CLI's
function, the judge subprocess, the sandboxed children.

Hostile scenarios add what must hold whatever the submission does: the grader's
files are unchanged (always checked), nothing the submission started is still
running (``no_survivors``: a word in those processes' command lines), files it
tried to write do not exist (``absent_files``), nothing reached a loopback
listener (``listen``), grading ended in time (``max_duration_s``). A scenario
whose attack only the layers in ``needs`` contain is skipped, before it runs, on
a machine that lacks them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import pytest

from grader.grade import submit
from grader.judge.launch import protected_paths
from grader.report.json_report import write_json
from grader.sandbox import isolation
from tests.conftest import ROOT, survivors

SCENARIOS = Path(__file__).parent / "scenarios"


def _scenarios() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if (p / "expected.json").is_file())


def _grader_files() -> dict[str, str]:
    digests = {}
    for folder in ("grader", "reference", "assignments", "student_template"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda p: p.name)
def test_scenario(scenario: Path, tmp_path: Path, validate_report, monkeypatch) -> None:
    expected = json.loads((scenario / "expected.json").read_text())
    layers = isolation.plan(protected=protected_paths(ROOT)).layers
    missing = [layer for layer in expected.get("needs", []) if layer not in layers]
    if missing:
        pytest.skip(f"this attack is contained only with {', '.join(missing)}")
    for name, value in expected.get("env", {}).items():
        monkeypatch.setenv(name, value)
    submission = (scenario / expected.get("submission", "submission")).resolve()
    listener = None
    if expected.get("listen"):
        submission = Path(shutil.copytree(submission, tmp_path / "submission"))
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        (submission / "port.txt").write_text(str(listener.getsockname()[1]))
    before = _grader_files()

    report = submit(
        path=submission,
        json_path=tmp_path / "report.json",
        assignments=expected.get("assignments", ()),
        timeout_s=expected.get("timeout_s", 10.0),
        hidden=True,  # graded as the instructor grades: every check counts
    )

    written = validate_report(json.loads((tmp_path / "report.json").read_text()))
    assert written == json.loads(json.dumps(report.to_dict()))
    assert report.error is None, report.error
    results = {a.id: a for a in report.assignments}
    assert set(results) == set(expected["expect"]) | set(expected.get("assignments", results))
    for exercise_id, wanted in expected["expect"].items():
        result = results[exercise_id]
        not_passed = sorted(c.id for c in result.checks if c.status.value != "passed")
        summary = {
            c.id: (c.status.value, c.message, c.hints) for c in result.checks if c.status.value != "passed"
        }
        assert result.score == wanted["score"], f"{exercise_id}: {summary}"
        if "variant" in wanted:
            assert result.variant == wanted["variant"]
        if "failed" in wanted:
            assert not_passed == sorted(wanted["failed"]), summary
        checks = {c.id: c for c in result.checks}
        for check_id, words in wanted.get("feedback", {}).items():
            check = checks[check_id]
            assert check.status.value == "failed", f"{check_id} should fail as the student's fault"
            text = " ".join([check.message, *check.hints])
            for word in words:
                assert word in text, f"{exercise_id}/{check_id}: {word!r} not in {text!r}"
    if "total" in expected:
        assert report.score == expected["total"]
    if "max_duration_s" in expected:
        assert report.duration_s < expected["max_duration_s"]
    if "no_survivors" in expected:
        assert survivors(expected["no_survivors"]) == [], "a process the submission started survived"
    for path in expected.get("absent_files", []):
        assert not Path(path.replace("{ROOT}", str(ROOT))).exists(), f"the submission wrote {path}"
    if listener is not None:
        with pytest.raises(TimeoutError):
            listener.accept()
        listener.close()
    assert _grader_files() == before, "the grader's files changed"
    write_json(report, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["score"] == report.score
