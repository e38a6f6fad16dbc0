"""Each folder under tests/scenarios/ is a submission and the outcome it must get.

``expected.json`` says, for every exercise graded, the exact score, optionally
the matched variant, the exact set of checks that do not pass, and words that
must appear in a check's feedback (message and hints); its keys are validated
against ``scenarios/expected.schema.json``, so a misspelt one fails instead of
silently weakening the scenario. Grading runs end to end: the CLI's function,
a judge forked from a warm parent (as ``grade submit --watch`` and ``grade batch`` run it;
tests/test_cli.py runs the fresh judge interpreter of a plain ``grade submit``), the
sandboxed children.

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
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader import settings
from grader.course import Course
from grader.grade import submit
from grader.judge.launch import WarmParent, protected_paths
from grader.report.classroom import markdown_summary
from grader.report.model import Report, report_from_dict
from grader.sandbox import isolation
from tests.conftest import ROOT, survivors

SCENARIOS = Path(__file__).parent / "scenarios"
#: The homework a scenario grades unless its expected.json names another.
DEFAULT_HOMEWORK = "blocks"
EXPECTED_SCHEMA = SCENARIOS / "expected.schema.json"


def _scenarios() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if (p / "expected.json").is_file())


def _expectation_errors(expected: dict[str, Any], validator: jsonschema.Draft202012Validator) -> list[str]:
    """Why ``expected`` would not say what a scenario must get (empty: it does).

    The schema catches misspelt keys; the rest needs the grader and the course: the layers
    needed are ones a report names, the exercises named exist, every graded exercise has an
    expectation (so no score goes unchecked), and a stated total is the sum of the expected
    scores.
    """
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(expected)]
    if errors:
        return errors
    layers = json.loads(settings.REPORT_SCHEMA_PATH.read_text())["$defs"]["layer"]["enum"]
    errors += [f"no isolation layer {layer!r}" for layer in expected.get("needs", []) if layer not in layers]
    homeworks = {h.id: h for h in Course.load(ROOT).homeworks}
    homework = homeworks.get(expected.get("homework", DEFAULT_HOMEWORK))
    if homework is None:
        return [f"no homework {expected['homework']!r}"]
    exercises = [e.id for e in homework.exercises]
    graded = expected.get("assignments", exercises)
    errors += [f"no exercise {name!r} in {homework.id}" for name in sorted(set(graded) - set(exercises))]
    if set(expected["expect"]) != set(graded):
        errors.append(f"expect lists {sorted(expected['expect'])}, the graded exercises are {sorted(graded)}")
    expected_total = sum(outcome["score"] for outcome in expected["expect"].values())
    if "total" in expected and expected["total"] != expected_total:
        errors.append(f"total {expected['total']} is not the sum of the expected scores, {expected_total}")
    return errors


@pytest.fixture(scope="module")
def expected_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(EXPECTED_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_expectation_is_valid(expected_validator: jsonschema.Draft202012Validator) -> None:
    scenarios = _scenarios()
    assert len(scenarios) >= 40, "the scenarios are found"
    problems = {
        p.name: errors
        for p in scenarios
        if (errors := _expectation_errors(json.loads((p / "expected.json").read_text()), expected_validator))
    }
    assert problems == {}


def test_a_weakened_expectation_is_refused(expected_validator: jsonschema.Draft202012Validator) -> None:
    sound = json.loads((SCENARIOS / "missing_relu" / "expected.json").read_text())
    assert _expectation_errors(sound, expected_validator) == []
    outcome = sound["expect"]["residual"]
    weakened = [
        sound | {"expcet": sound["expect"]},  # a misspelt top-level key
        sound | {"expect": {"residual": {**outcome, "scroe": 3}}},  # … an outcome's
        sound | {"expect": {"residual": {k: v for k, v in outcome.items() if k != "score"}}},
        sound | {"expect": {"residual": {**outcome, "feedback": {"behaviour": []}}}},
        sound | {"assignments": ["residual", "inception"]},  # a graded exercise unchecked
        sound | {"assignments": ["resdiual"], "expect": {"resdiual": outcome}},
        sound | {"total": outcome["score"] + 1},
        sound | {"needs": ["landlok"]},
        sound | {"homework": "blokcs"},
    ]
    for expected in weakened:
        assert _expectation_errors(expected, expected_validator), expected


def _without_durations(report: Report) -> Report:
    """The report less its timings, which its JSON rounds (to 1 ms, a check's to 0.1 ms)."""
    return replace(
        report,
        duration_s=0.0,
        assignments=tuple(
            replace(a, checks=tuple(replace(c, duration_s=0.0) for c in a.checks)) for a in report.assignments
        ),
    )


def _grader_files() -> dict[str, str]:
    digests = {}
    for folder in ("grader", "reference", "assignments", "student_template"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _check_cells(report: Report, wanted: dict[str, str] | None) -> None:
    """A notebook's cells became what ``wanted`` says (used, partly used, skipped)."""
    if wanted is None:
        return
    assert report.submission.notebook is not None, "a notebook was graded"
    fates = {str(c.cell): c.use.value for c in report.submission.notebook.cells}
    assert {n: fates.get(n) for n in wanted} == wanted, fates
    skipped = [n for n, use in wanted.items() if use == "skipped"]
    if skipped:  # what was left out is told where students read (Classroom, Gradescope, LMS)
        summary = markdown_summary(report)
        assert report.submission.notebook.file in summary
        assert all(any(n in line for line in summary.splitlines() if line.startswith("- ")) for n in skipped)


def _check_feedback(exercise_id: str, checks: dict, wanted: dict) -> None:
    """Words each failed check's message and hints must hold (``feedback``) or never say."""
    for key, present in (("feedback", True), ("not_in_feedback", False)):
        for check_id, words in wanted.get(key, {}).items():
            check = checks[check_id]
            assert check.status.value == "failed", f"{check_id} should fail as the student's fault"
            text = " ".join([check.message, *check.hints])
            for word in words:
                assert (word in text) is present, f"{exercise_id}/{check_id}: {word!r} {key}: {text!r}"


@pytest.fixture(scope="module")
def warm() -> Iterator[WarmParent]:
    """One zygote and one prepared parent for every scenario: each is a forked judge."""
    parent = WarmParent(course_dir=ROOT)
    yield parent
    parent.close()


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda p: p.name)
def test_scenario(scenario: Path, tmp_path: Path, validate_report, monkeypatch, warm: WarmParent) -> None:
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
        homework=expected.get("homework", DEFAULT_HOMEWORK),
        assignments=expected.get("assignments", ()),
        timeout_s=expected.get("timeout_s", 10.0),
        hidden=True,  # graded as the instructor grades: every check counts
        language=expected.get("language", "en"),
        warm=warm,
    )

    written = validate_report(json.loads((tmp_path / "report.json").read_text()))
    assert written == json.loads(json.dumps(report.to_dict()))
    assert report.error is None, report.error
    assert report.homework == expected.get("homework", DEFAULT_HOMEWORK)
    assert report.language == expected.get("language", "en")
    _check_cells(report, expected.get("cells"))
    results = {a.id: a for a in report.assignments}
    assert set(results) == set(expected["expect"]), "every graded exercise has an expected score"
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
        _check_feedback(exercise_id, {c.id: c for c in result.checks}, wanted)
    # Every graded exercise is in expect, so the expected total is the sum of its scores.
    assert report.score == sum(outcome["score"] for outcome in expected["expect"].values())
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
    # The written report, read back as a batch reads it, is the report that was graded.
    read_back = report_from_dict(written)
    assert _without_durations(read_back) == _without_durations(report)
    assert read_back.duration_s == pytest.approx(report.duration_s, abs=1e-3)
