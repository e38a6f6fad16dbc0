"""``grade batch``: a class folder (folders, zips, an escaping zip, an empty folder, a stray
file, a hung submission, a roster) into a gradebook; resuming; an interrupted run."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import fingerprint as fingerprints
from grader import i18n, settings
from grader.batch import grade_batch
from grader.cli import main
from grader.course import Course
from grader.failures import FailureKind
from grader.intake import IntakeError, extract, strip_common_prefix
from grader.report.classroom import markdown_summary
from grader.report.feedback_files import write_feedback_files
from grader.report.gradebook import StudentResult, summary
from grader.report.html import render_html
from grader.report.model import AssignmentResult, CheckResult, CheckStatus
from tests.conftest import ROOT, Points
from tests.test_lms import CANVAS_EXPORT, CLASSROOM_ROSTER, report_of
from tests.test_similarity import RENAMED

SCENARIOS = ROOT / "tests" / "scenarios"
#: The homework the scenarios' submissions are.
HOMEWORK = "blocks"

Expected = dict[str, tuple[float | None, str]]


@pytest.fixture(scope="module")
def expected(blocks_points: Points, blocks_exercise_points: dict[str, Points]) -> Expected:
    """id → (total, status) expected in the gradebook, with the totals the course's checks give."""
    return {
        "ada": (blocks_points.total, "graded"),
        "grace": (4.0, "graded"),
        "linus": (blocks_points.total, "graded"),
        "escape": (None, "invalid"),
        "empty": (0.0, "graded"),
        "hang": (blocks_exercise_points["vgg_block"].total, "graded"),  # its residual never finishes
        "ghost": (None, "missing"),
    }


def _zip(folder: Path, archive: Path, prefix: str = "") -> None:
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*.py")):
            zipped.write(path, prefix + str(path.relative_to(folder)))


@pytest.fixture
def classroom(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copytree(SCENARIOS / "seed_answers" / "submission", folder / "cnn-hw-ada")
    shutil.copytree(SCENARIOS / "wrong_padding" / "submission", folder / "cnn-hw-grace")
    _zip(SCENARIOS / "other_styles" / "submission", folder / "cnn-hw-linus.zip", prefix="linus/")
    with zipfile.ZipFile(folder / "cnn-hw-escape.zip", "w") as zipped:
        zipped.writestr("../../outside.py", "print('escaped')\n")
    (folder / "cnn-hw-empty").mkdir()
    shutil.copytree(SCENARIOS / "infinite_loop_builder" / "submission", folder / "cnn-hw-hang")
    (folder / "notes.txt").write_text("not a submission\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username,github_id,name\nS1,ada,1,Ada L.\nS9,ghost,9,Ghost\n")
    return folder, roster


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open() as file:
        return {row["id"]: row for row in csv.DictReader(file)}


def test_a_class_becomes_a_gradebook_and_resumes(
    classroom, tmp_path: Path, validate_report, expected: Expected, blocks_exercise_points
) -> None:
    folder, roster = classroom
    vgg_block = f"{blocks_exercise_points['vgg_block'].total:g}"
    out = tmp_path / "grades"
    result = grade_batch(submissions=folder, out=out, jobs=2, roster=roster, timeout_s=1.5, homework=HOMEWORK)
    rows = _gradebook(out)
    assert set(rows) == set(expected)
    for student, (total, status) in expected.items():
        assert rows[student]["status"] == status, rows[student]
        assert rows[student]["total"] == ("" if total is None else f"{total:g}")
    assert rows["ada"]["name"] == "Ada L."
    assert rows["ada"]["vgg_block"] == vgg_block
    assert "outside its folder" in rows["escape"]["reason"]
    assert not (tmp_path / "outside.py").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == 7
    assert summary["ignored"] == ["notes.txt"]
    assert {s["id"] for s in summary["incomplete"]} == {"escape", "ghost"}
    assert summary["exercises"]["residual"]["pass_rate"]["behaviour[default]"] < 1
    for report in (out / "reports").glob("*.json"):
        validate_report(json.loads(report.read_text()))
    assert result.regraded == 5

    again = grade_batch(submissions=folder, out=out, jobs=2, roster=roster, timeout_s=1.5, homework=HOMEWORK)
    assert again.regraded == 0
    assert _gradebook(out) == rows, "the same submissions get the same grades"

    (folder / "cnn-hw-grace" / "vgg_block.py").write_text(
        (SCENARIOS / "seed_answers" / "submission" / "vgg_block.py").read_text()
    )
    changed = grade_batch(
        submissions=folder, out=out, jobs=2, roster=roster, timeout_s=1.5, homework=HOMEWORK
    )
    assert changed.regraded == 1
    assert _gradebook(out)["grace"]["total"] == vgg_block

    forced = grade_batch(
        submissions=folder, out=out, jobs=1, roster=roster, timeout_s=1.5, force=True, homework=HOMEWORK
    )
    assert forced.regraded == 5
    assert {k: v["total"] for k, v in _gradebook(out).items()} == {
        **{k: v["total"] for k, v in rows.items()},
        "grace": vgg_block,
    }


def test_a_changed_grader_or_course_regrades_and_an_unchanged_one_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocks_exercise_points
) -> None:
    """Reports are reused only while the fingerprint (grader code, course, torch) is the same."""
    # Copies to change: the course in a folder the sandbox's own uid can read (pytest's are
    # private), the grader package wherever (only the fingerprint reads it).
    course = Path(tempfile.mkdtemp(prefix="grader-course-"))
    course.chmod(0o755)
    package = Path(shutil.copytree(settings.PACKAGE_DIR, tmp_path / "grader"))
    monkeypatch.setattr(settings, "PACKAGE_DIR", package)
    folder, out = tmp_path / "submissions", tmp_path / "grades"
    shutil.copytree(SCENARIOS / "seed_answers" / "submission", folder / "ada")

    def regraded() -> tuple[int, str]:
        fingerprints.forget()  # each run as a new process would
        result = grade_batch(
            submissions=folder,
            out=out,
            jobs=1,
            assignments=["vgg_block"],
            course_dir=course,
            homework=HOMEWORK,
        )
        (student,) = result.students
        assert student.report is not None and student.report.error is None
        assert student.report.score == blocks_exercise_points["vgg_block"].total
        return result.regraded, student.report.fingerprint

    try:
        for name in ("assignments", "reference"):
            shutil.copytree(ROOT / name, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        first, made_with = regraded()
        assert first == 1
        assert regraded() == (0, made_with), "unchanged: the report is reused"

        check = course / "assignments" / "blocks" / "vgg_block" / "test_vgg_block.py"
        check.write_text(check.read_text() + "\n# a changed check\n")
        after_course, course_changed = regraded()
        assert after_course == 1 and course_changed != made_with

        code = package / "checks" / "behaviour.py"
        code.write_text(code.read_text() + "\n# a changed comparison\n")
        after_grader, grader_changed = regraded()
        assert after_grader == 1 and grader_changed not in (made_with, course_changed)
    finally:
        fingerprints.forget()
        shutil.rmtree(course)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_the_html_page_renders_every_student(classroom, tmp_path: Path, expected: Expected) -> None:
    folder, roster = classroom
    out = tmp_path / "grades"
    grade_batch(submissions=folder, out=out, jobs=2, roster=roster, timeout_s=1.5, homework=HOMEWORK)
    page = out / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    done = subprocess.run(
        ["chromium", *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = done.stdout
    assert "<svg" in dom, "the charts are drawn"
    for student, (_, status) in expected.items():
        linked = f'<td><a href="feedback/{student}.html">{student}</a></td>'
        assert (f"<td>{student}</td>" if status == "missing" else linked) in dom, "linked to its feedback"
    assert "outside its folder" in dom, "why grading did not complete is shown"


def test_an_interrupted_run_leaves_whole_reports_and_the_next_completes(
    classroom, tmp_path, expected: Expected
) -> None:
    folder, _ = classroom
    out = tmp_path / "grades"
    command = [
        sys.executable,
        "-m",
        "grader",
        "batch",
        str(folder),
        "--out",
        str(out),
        "-j",
        "1",
        "-H",
        HOMEWORK,
    ]
    process = subprocess.Popen(
        [*command, "--timeout", "1.5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "reports").glob("*.json"))) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = sorted((out / "reports").glob("*.json"))
    assert finished, "no report was finished before the kill"
    for report in finished:
        json.loads(report.read_text())  # whole, never half-written
    done = subprocess.run(
        [*command, "--timeout", "1.5"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unchanged" in done.stdout
    assert set(_gradebook(out)) == set(expected) - {"ghost"}


def test_zips_are_refused_when_they_escape_link_or_explode(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("inception.py", "0" * (30 * 1024**2))
    with pytest.raises(IntakeError, match="MiB"):
        extract(bomb, tmp_path / "bomb")
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zipped:
        info = zipfile.ZipInfo("residual.py")
        info.external_attr = 0o120777 << 16
        zipped.writestr(info, "/etc/passwd")
    with pytest.raises(IntakeError, match="link"):
        extract(link, tmp_path / "link")


def test_classroom_prefixes_are_stripped() -> None:
    assert strip_common_prefix(["cnn-hw-ada", "cnn-hw-bob"]) == ["ada", "bob"]
    assert strip_common_prefix(["ada", "bob"]) == ["ada", "bob"]
    assert strip_common_prefix(["hw-a", "hw-ab"]) == ["a", "ab"]


def test_a_dask_cluster_grades_the_same(classroom, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    folder, roster = classroom
    for name in ("cnn-hw-hang", "cnn-hw-empty", "cnn-hw-linus.zip"):
        path = folder / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    local, remote = tmp_path / "local", tmp_path / "remote"
    grade_batch(submissions=folder, out=local, jobs=2, roster=roster, homework=HOMEWORK)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        result = grade_batch(
            submissions=folder,
            out=remote,
            roster=roster,
            scheduler=cluster.scheduler_address,
            homework=HOMEWORK,
        )
    assert result.regraded == 2
    assert _gradebook(remote) == _gradebook(local)


def test_notebooks_are_entries_and_a_broken_one_scores_0_with_the_reason(
    tmp_path: Path, blocks_exercise_points
) -> None:
    """A .ipynb, a zip holding one and a notebook that is not JSON: graded, graded, invalid."""
    full = f"{blocks_exercise_points['vgg_block'].total:g}"
    folder = tmp_path / "submissions"
    folder.mkdir()
    notebook = SCENARIOS / "notebook_seed" / "homework.ipynb"
    shutil.copy(notebook, folder / "hw-ada.ipynb")
    with zipfile.ZipFile(folder / "hw-grace.zip", "w") as zipped:
        zipped.write(notebook, "grace/homework.ipynb")
    (folder / "hw-linus.ipynb").write_text('{"cells": [')
    out = tmp_path / "grades"
    grade_batch(submissions=folder, out=out, jobs=2, homework=HOMEWORK, assignments=["vgg_block"])
    rows = _gradebook(out)
    assert {k: (v["status"], v["vgg_block"]) for k, v in rows.items()} == {
        "ada": ("graded", full),
        "grace": ("graded", full),
        "linus": ("invalid", ""),
    }
    assert "its JSON breaks at line 1" in rows["linus"]["reason"]
    report = json.loads((out / "reports" / "ada.json").read_text())
    assert report["submission"]["files"] == ["hw-ada.ipynb"]
    assert {c["cell"]: c["use"] for c in report["submission"]["notebook"]["cells"]}[13] == "skipped"


def _check(check_id: str, status: CheckStatus, message: str = "", failure: FailureKind | None = None):
    points = 1.0 if status is CheckStatus.PASSED else 0.0
    return CheckResult(
        id=check_id,
        name=f"the {check_id} check",
        status=status,
        score=points,
        max_score=1.0,
        message=message,
        duration_s=0.0,
        failure=failure,
    )


def _inception(checks: tuple[CheckResult, ...]) -> AssignmentResult:
    return AssignmentResult(id="inception", title="Inception", variant=None, checks=checks)


def test_where_students_fail_is_led_by_causes_each_student_counted_once() -> None:
    """A module that computes the wrong thing also fails the hidden check on a fresh input, which
    says so: that consequence is no cause. Causes are each student's first failed check."""
    passed, failed = CheckStatus.PASSED, CheckStatus.FAILED
    wrong = FailureKind.CHECK_FAILED
    consequence = "Not checked on a fresh input: your module already computes something different."
    computes_wrong = (
        _check("output_shape", passed),
        _check("behaviour", failed, "Your module computes another output.", wrong),
        _check("hidden_behaviour", failed, consequence, wrong),
    )
    raises = (
        _check("output_shape", failed, "forward raised RuntimeError", FailureKind.FORWARD_RAISED),
        _check("behaviour", failed, "forward raised RuntimeError", FailureKind.FORWARD_RAISED),
        _check("hidden_behaviour", failed, consequence, wrong),
    )
    fresh_only = (
        _check("output_shape", passed),
        _check("behaviour", passed),
        _check("hidden_behaviour", failed, "On a fresh input, your module differs.", wrong),
    )
    right = (_check("output_shape", passed), _check("behaviour", passed), _check("hidden_behaviour", passed))
    classes = [computes_wrong] * 5 + [raises] * 3 + [fresh_only] * 2 + [right]
    students = [
        StudentResult(id=f"s{i}", name="", status="graded", report=report_of(_inception(checks)))
        for i, checks in enumerate(classes)
    ]
    exercises = Course.load(ROOT).select(["inception"])
    overview = summary(students, exercises)
    causes = overview["exercises"]["inception"]["causes"]
    assert [(c["check"], c["failure"], c["students"]) for c in causes] == [
        ("behaviour", "check_failed", 5),
        ("output_shape", "forward_raised", 3),
        ("hidden_behaviour", "check_failed", 2),
    ]
    assert causes[0]["messages"] == [["Your module computes another output.", 5]]
    assert all(consequence not in str(c["messages"]) for c in causes), "a consequence is no cause"
    assert overview["exercises"]["inception"]["mean"] == 1.091  # 12 points over 11 students, kept exact
    page = render_html(students, exercises, overview, feedback={"s0": "feedback/s0.html"})
    assert "1.1 / 3" in page and "1.091" not in page, "means for people: one decimal"
    assert page.index("the behaviour check") < page.index("the output_shape check")
    assert "(forward raised): 3 students" in page
    assert "<a href='feedback/s0.html'>s0</a>" in page and "<a href='feedback/s1.html'>" not in page


def test_feedback_files_say_what_grade_submit_says_in_the_courses_language(tmp_path: Path) -> None:
    hinted = replace(
        _check("behaviour", CheckStatus.FAILED, "Your module computes <b>another</b> output.", None),
        hints=("Add the ReLU after the 5×5 convolution.",),
    )
    report = report_of(_inception((hinted,)))
    students = [
        StudentResult(id="ada", name="Ada L.", status="graded", report=report),
        StudentResult(id="linus", name="", status="invalid", reason="homework.ipynb is not a notebook"),
        StudentResult(id="ghost", name="", status="missing", reason="no submission"),
    ]
    homework = Course.load(ROOT).choose_homework(HOMEWORK)
    i18n.activate("ko", ROOT)
    written = write_feedback_files(students, homework, tmp_path)
    assert written == {"ada": "feedback/ada.html", "linus": "feedback/linus.html"}, "none without submission"
    markdown = (tmp_path / "feedback" / "ada.md").read_text()
    assert markdown.startswith("# ") and "피드백" in markdown.splitlines()[0]
    assert "학생: Ada L. (ada) · 채점일: 2026-12-01" in markdown
    assert markdown.endswith(markdown_summary(report)), "the summary grade submit's Classroom run shows"
    assert "Add the ReLU after the 5×5 convolution." in markdown
    html = (tmp_path / "feedback" / "ada.html").read_text()
    assert "<html lang='ko'>" in html and "<table>" in html
    assert "&lt;b&gt;another&lt;/b&gt;" in html and "<b>another</b>" not in html, "the student's text escaped"
    assert (
        "제출물을 채점할 수 없었습니다: homework.ipynb is not a notebook"
        in (tmp_path / "feedback" / "linus.md").read_text()
    )


def test_the_instructors_week_lms_file_similar_pairs_and_feedback(tmp_path: Path) -> None:
    """One small class graded once, on vgg_block, through the CLI: Canvas's import file with
    whom it left out, the renamed copy ranked first, each student's feedback linked from the page."""
    pytest.importorskip("copydetect")
    folder, out = tmp_path / "submissions", tmp_path / "grades"
    folder.mkdir()
    shutil.copy(SCENARIOS / "notebook_seed" / "homework.ipynb", folder / "hw-ada.ipynb")
    (folder / "hw-grace").mkdir()
    (folder / "hw-grace" / "vgg_block.py").write_text(RENAMED)
    shutil.copytree(SCENARIOS / "wrong_padding" / "submission", folder / "hw-bob")
    (folder / "hw-linus.ipynb").write_text('{"cells": [')
    arguments = ["batch", str(folder), "--out", str(out), "-H", HOMEWORK, "-a", "vgg_block", "-j", "2"]
    arguments += ["--export", "canvas", "--lms-roster", str(CANVAS_EXPORT)]
    arguments += ["--lms-map", str(CLASSROOM_ROSTER)]
    done = CliRunner().invoke(main, [*arguments, "--similarity"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "canvas_import.csv: 2 grades" in done.output and "scaled from 10 to 40 points" in done.output
    assert "submissions with no student in the LMS: bob" in done.output
    assert "most similar pair in vgg_block: ada and grace" in done.output
    summary_json = json.loads((out / "summary.json").read_text())
    assert summary_json["similarity"]["vgg_block"]["pairs"][0]["students"] == ["ada", "grace"]
    lms = summary_json["lms"]
    assert (lms["unmatched_submissions"], [n["id"] for n in lms["not_exported"]]) == (["bob"], ["linus"])
    assert sorted(lms["unmatched_students"])[0].startswith("Johnson, Katherine")
    with (out / "canvas_import.csv").open(newline="") as file:
        rows = list(csv.reader(file))
    assert [row[3:] for row in rows[2:]] == [
        ["ada.lovelace@uni.example.edu", "CS 4820 Section 01", "40"],
        ["grace.hopper@uni.example.edu", "CS 4820 Section 01", "40"],
    ]
    assert "its JSON breaks" in (out / "feedback" / "linus.md").read_text()
    assert "## Grade: 4 / 10" in (out / "feedback" / "bob.md").read_text()
    page = (out / "report.html").read_text()
    assert "<a href='feedback/ada.html'>ada</a>" in page and "<mark>" in page
