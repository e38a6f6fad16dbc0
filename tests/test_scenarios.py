"""Each folder under tests/scenarios/ is a submission and the outcome it must get.

``expected.json`` says, per exercise, the exact score, optionally the matched
variant, the exact set of checks that do not pass, and words that must appear in
a check's feedback (message and hints). Grading runs end to end: the CLI's
function, the judge subprocess, the sandboxed children.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.grade import submit
from grader.report.json_report import write_json

SCENARIOS = Path(__file__).parent / "scenarios"


def _scenarios() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda p: p.name)
def test_scenario(scenario: Path, tmp_path: Path, validate_report) -> None:
    expected = json.loads((scenario / "expected.json").read_text())
    submission = (scenario / expected.get("submission", "submission")).resolve()
    report = submit(
        path=submission,
        json_path=tmp_path / "report.json",
        assignments=expected.get("assignments", ()),
        timeout_s=expected.get("timeout_s", 10.0),
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
    write_json(report, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["score"] == report.score
