"""Every output format is a converter from the same report: the totals agree."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.course import Course
from grader.report.gradebook import GRADED, StudentResult, csv_header, csv_row
from grader.report.gradescope import gradescope_results
from grader.report.model import report_from_dict
from tests.conftest import ROOT, github_outputs


def _classroom(tmp_path: Path, submission: Path, exercise: str) -> tuple[dict, dict, str]:
    output, summary, report = tmp_path / "output", tmp_path / "summary.md", tmp_path / "report.json"
    arguments = ["submit", str(submission), "-H", "blocks", "-a", exercise, "--classroom"]
    result = CliRunner().invoke(
        main,
        [*arguments, "--json", str(report), "-q"],
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 0, result.output
    return github_outputs(output)["result"], json.loads(report.read_text()), summary.read_text()


def test_every_format_gives_the_same_total(tmp_path: Path, blocks_exercise_points) -> None:
    visible = blocks_exercise_points["vgg_block"].visible
    submission = ROOT / "tests" / "scenarios" / "wrong_padding" / "submission"
    classroom, raw, summary = _classroom(tmp_path, submission, "vgg_block")
    report = report_from_dict(raw)
    assert report.score == 4
    assert classroom["status"] == "fail"
    assert classroom["max_score"] == report.max_score == visible  # the hidden check is withheld
    assert sum(test["score"] for test in classroom["tests"]) == report.score
    assert {test["status"] for test in classroom["tests"]} == {"pass", "fail"}
    assert all(test["name"] and "-" not in test["name"].split(":")[0] for test in classroom["tests"])
    gradescope = gradescope_results(report)
    assert gradescope["score"] == report.score
    assert sum(test["score"] for test in gradescope["tests"]) == report.score
    assert {test["status"] for test in gradescope["tests"]} == {"passed", "failed"}
    exercises = Course.load(ROOT).select(["vgg_block"])
    row = dict(
        zip(
            csv_header(exercises),
            csv_row(StudentResult(id="s", name="", status=GRADED, report=report), exercises),
            strict=True,
        )
    )
    assert float(row["total"]) == report.score
    assert f"## Grade: 4 / {visible:g}" in summary
    assert "padding='same'" in summary


def test_full_marks_pass_in_classroom(tmp_path: Path, blocks_exercise_points) -> None:
    classroom, raw, _ = _classroom(tmp_path, ROOT / "reference", "alexnet_block")
    assert classroom["status"] == "pass"
    visible = blocks_exercise_points["alexnet_block"].visible
    assert sum(test["score"] for test in classroom["tests"]) == raw["score"] == visible


def test_classroom_needs_a_workflow(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["submit", str(ROOT / "reference"), "--classroom"], env={"GITHUB_OUTPUT": ""}
    )
    assert result.exit_code == 2
    assert "GITHUB_OUTPUT" in result.output
