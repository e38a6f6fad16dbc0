"""The ``grade`` command: through click's runner, and as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from grader import __version__
from grader.cli import main
from grader.course import Course
from tests.conftest import ROOT, live_children

REFERENCE = ROOT / "reference"


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["submit", str(tmp_path / "nowhere"), "--lang", "en"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_a_file_that_is_no_submission_is_a_usage_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x = 1\n")
    result = CliRunner().invoke(main, ["submit", str(notes), "--lang", "en"])
    assert result.exit_code == 2
    assert "pass your notebook (.ipynb), your .py file" in " ".join(result.output.split())
    script = tmp_path / "solution.py"  # a .py file is a submission, but this one has no builder
    script.write_text("x = 1\n")
    result = CliRunner().invoke(main, ["submit", str(script), "--lang", "en"])
    assert result.exit_code == 2
    assert "defines none of the builders" in " ".join(result.output.split())


def test_unknown_assignment_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["submit", str(REFERENCE), "-H", "blocks", "--assignment", "lenet"])
    assert result.exit_code == 2
    assert "no exercise 'lenet'" in result.output
    assert "alexnet_block" in result.output


def test_list_shows_every_homework_and_exercise_with_its_points(blocks_exercise_points) -> None:
    result = CliRunner().invoke(main, ["list", "--checks"])
    assert result.exit_code == 0, result.output
    for homework in Course.load(ROOT).homeworks:
        assert homework.id in result.output
        for exercise in homework.exercises:
            assert exercise.id in result.output
    assert "Parameter count 1,344" in result.output
    for total, exercises in Counter(p.total for p in blocks_exercise_points.values()).items():
        assert result.output.count(f" {total:g} ") >= exercises


def test_fail_under_sets_the_exit_status(tmp_path: Path, validate_report, blocks_exercise_points) -> None:
    total = blocks_exercise_points["alexnet_block"].total
    report = tmp_path / "report.json"
    args = ["submit", str(REFERENCE), "-H", "blocks", "-a", "alexnet_block"]
    args += ["--json", str(report), "--hidden"]
    passing = CliRunner().invoke(main, [*args, "--fail-under", f"{total:g}"])
    assert passing.exit_code == 0, passing.output
    assert f"Total: {total:g} / {total:g}" in passing.output
    failing = CliRunner().invoke(main, [*args, "--fail-under", f"{total + 0.5:g}", "--quiet"])
    assert failing.exit_code == 1
    assert failing.output.strip() == f"{total:g}/{total:g}"
    assert validate_report(json.loads(report.read_text()))["score"] == total


def test_grader_failure_exits_3_and_still_writes_the_report(tmp_path: Path, validate_report) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "reference", course / "reference")
    shutil.copytree(ROOT / "assignments", course / "assignments")
    checks = course / "assignments" / "blocks" / "vgg_block" / "test_vgg_block.py"
    checks.write_text(checks.read_text() + "\nthis is not python\n")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["submit", str(REFERENCE), "-H", "blocks", "--course", str(course), "--json", str(report)]
    )
    assert result.exit_code == 3, result.output
    assert "The grader failed" in result.output
    written = validate_report(json.loads(report.read_text()))
    assert written["error"] and "status" in written["error"]


def test_real_subprocess_grades_the_reference(tmp_path: Path, validate_report, blocks_points) -> None:
    report = tmp_path / "out" / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "submit", str(REFERENCE), "-H", "blocks", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Without --hidden the hidden checks are withheld, as in a student's starter.
    visible = blocks_points.visible
    assert f"Total: {visible:g} / {visible:g}" in done.stdout
    assert f"{blocks_points.hidden_checks} hidden checks did not run" in done.stdout
    written = validate_report(json.loads(report.read_text()))
    assert written["score"] == written["max_score"] == visible
    assert written["homework"] == "blocks"
    assert written["submission"]["path"] == str(REFERENCE / "blocks")
    assert written["environment"]["device"] in ("meta", "cuda")
    assert {a["variant"] for a in written["assignments"]} == {"seed", "projection"}


def test_watch_regrades_on_save_from_a_warm_parent(tmp_path: Path) -> None:
    """The first grade, then a save (padding='same' removed) graded again; nothing left running."""
    import threading

    from grader.grade import submit
    from grader.watch import watch

    folder = tmp_path / "solution"
    shutil.copytree(ROOT / "tests" / "scenarios" / "seed_answers" / "submission", folder)
    grades = []
    before = live_children(os.getpid())

    def on_grade(regrade) -> None:
        grades.append(regrade)
        if len(grades) == 1:
            vgg = folder / "vgg_block.py"
            threading.Timer(
                0.2, lambda: vgg.write_text(vgg.read_text().replace("padding='same'", "padding=0"))
            ).start()

    watch(
        path=folder,
        grade=lambda warm: submit(
            path=folder, homework="blocks", assignments=["vgg_block"], language="en", warm=warm
        ),
        on_grade=on_grade,
        course_dir=ROOT,
        rounds=2,
    )
    first, second = grades
    assert first.changed == () and second.changed == (str(folder / "vgg_block.py"),)
    assert first.report.score == first.report.max_score > second.report.score
    assert live_children(os.getpid()) <= before, "the zygote and every judge ended with the watch"
