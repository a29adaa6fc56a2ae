"""A Gradescope autograder that grades with ClusterLab's own sandbox.

:func:`export_zip` writes the zip Gradescope's "Zip file upload" takes; Gradescope's
"Autograder Specifications" (gradescope-autograders.readthedocs.io, /specs/) define
it: ``setup.sh`` and ``run_autograder`` at the root of the zip, the zip unpacked to
``/autograder/source``, the student's files in ``/autograder/submission``, and the
result in ``/autograder/results/results.json`` with the top-level fields ``score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility``, ``extra_data``,
``tests`` (and ``output_format``, ``test_output_format``, ``test_name_format``,
``leaderboard``), each test with ``score``, ``max_score``, ``status``, ``name``,
``number``, ``output``, ``visibility`` (and ``tags``, ``extra_data``, ``name_format``,
``output_format``).

The zip holds a wheel of this package (``setup.sh`` installs it and its dependencies
from the package index into ``/autograder/venv``, then deletes the installed copy of
the graders), the assignment's graders in ``graders/<name>/`` and its data files in
``assignments/<name>/``: the graders exist only in ``/autograder/source``, which the
sandbox child cannot read. ``run_autograder`` runs ``python -m autograder.gradescope``,
which grades like ``clusterlab grade`` does: the same cases, the same scores, the
student's code in the sandbox child and the test code in the grading process.
Otter's zip (``clusterlab export`` without ``--gradescope``) stays for courses that
want otter's runner.
"""

from __future__ import annotations

import argparse
import json
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from autograder import assignment as assignment_mod
from autograder.gradebook import atomic_write
from autograder.results import NOT_RUN, PASSED, UNREADABLE, SubmissionResult

ROOT_VARIABLE = "CLUSTERLAB_AUTOGRADER_ROOT"
"""Where ``run_autograder`` finds ``source/``, ``submission/`` and ``results/`` (tests set it)."""
PYTHON_VARIABLE = "CLUSTERLAB_PYTHON"
"""The Python ``run_autograder`` uses (default: the one ``setup.sh`` made)."""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image.
# It installs ClusterLab (the wheel in this zip) and its dependencies from the package
# index into /autograder/venv. Written by `clusterlab export {name} --gradescope`.
set -euo pipefail
cd "$(dirname "$0")"
PY=""
for candidate in python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then  # Ubuntu 22.04 images: Python 3.11 is in universe
  apt-get update -q && apt-get install -y -q python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet ./{wheel}
# the graders live only in /autograder/source, where the sandbox child cannot read
PKG=$(/autograder/venv/bin/python -c \\
  'import os, autograder; print(os.path.dirname(autograder.__file__))')
rm -rf "$PKG/graders"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: /autograder/submission is graded in
# ClusterLab's sandbox and /autograder/results/results.json is written.
# Written by `clusterlab export {name} --gradescope`.
ROOT="${{{root_var}:-/autograder}}"
PY="${{{python_var}:-$ROOT/venv/bin/python}}"
exec "$PY" -m autograder.gradescope --root "$ROOT" --assignment {name}
"""

SPEC_TOP = ("score", "execution_time", "output", "visibility", "stdout_visibility", "extra_data")
SPEC_TEST = ("score", "max_score", "status", "name", "number", "output", "visibility")


def build_wheel(dest: Path) -> Path:
    """Build a wheel of this ClusterLab source checkout into ``dest``; return its path."""
    src = assignment_mod.REPO_DIR
    if not (src / "pyproject.toml").is_file():
        raise RuntimeError(
            "a Gradescope export builds a wheel of ClusterLab, which needs its source "
            f"checkout; {src} has no pyproject.toml"
        )
    with tempfile.TemporaryDirectory(prefix="clusterlab-wheel-") as tmp:
        tree = Path(tmp) / "src"
        tree.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(src / name, tree / name)
        shutil.copytree(
            src / "autograder", tree / "autograder", ignore=shutil.ignore_patterns("__pycache__")
        )
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(tree)],
            capture_output=True,
            text=True,
        )
        wheels = sorted(Path(tmp).glob("clusterlab-*.whl"))
        if proc.returncode != 0 or not wheels:
            raise RuntimeError(f"building the ClusterLab wheel failed: {proc.stderr[-2000:]}")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(wheels[0], dest / wheels[0].name))


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    zf.writestr(info, data)


def export_zip(
    assignment: assignment_mod.Assignment, dest: Path, *, wheel: Path | None = None
) -> Path:
    """Write the Gradescope autograder zip of ``assignment`` to ``dest``.

    ``wheel`` reuses an already built ClusterLab wheel (default: build one).
    """
    dest = dest.resolve()
    with tempfile.TemporaryDirectory(prefix="clusterlab-gradescope-") as tmp:
        wheel = wheel or build_wheel(Path(tmp))
        part = dest.with_name(f".{dest.name}.part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(part, "w") as zf:
            fmt = {"name": assignment.name, "wheel": wheel.name}
            _add(zf, "setup.sh", SETUP_SH.format(**fmt).encode(), executable=True)
            run = RUN_AUTOGRADER.format(**fmt, root_var=ROOT_VARIABLE, python_var=PYTHON_VARIABLE)
            _add(zf, "run_autograder", run.encode(), executable=True)
            _add(zf, wheel.name, wheel.read_bytes())
            grader_dir = f"graders/{assignment.name}"
            for path in sorted(assignment.grader_dir.iterdir()):
                if path.is_file() and path.suffix in (".py", ".toml", ".csv"):
                    _add(zf, f"{grader_dir}/{path.name}", path.read_bytes())
            for path in assignment.data_paths:
                _add(zf, f"assignments/{assignment.name}/{path.name}", path.read_bytes())
        part.replace(dest)
    return dest


def results_json(result: SubmissionResult) -> dict[str, Any]:
    """``result`` in Gradescope's results.json, with only the fields its specification names."""
    from autograder.render.gradescope import results_json as full_results

    ours = full_results(result)
    out = {k: ours[k] for k in SPEC_TOP if k in ours}
    out["tests"] = [{k: t[k] for k in SPEC_TEST if k in t} for t in ours["tests"]]
    out["extra_data"] = {
        k: ours["extra_data"][k] for k in ("status", "integrity", "warnings", "sha256")
    }
    out["stdout_visibility"] = "hidden"  # the grader's log is for the teacher
    return out


def _find_submission(folder: Path, module: str) -> Path | None:
    exact = folder / f"{module}.py"
    if exact.is_file() and not exact.is_symlink():
        return exact
    found = sorted(p for p in folder.rglob(f"{module}.py") if not p.is_symlink())
    if found:
        return found[0]
    loose = sorted(folder.glob("*.py"))
    return loose[0] if len(loose) == 1 else None  # one .py file under another name


def run(root: Path, name: str) -> SubmissionResult:
    """Grade ``root/submission`` and write ``root/results/results.json``."""
    from autograder.grading import Grader

    a = assignment_mod.load(name, root=root / "source")
    grader = Grader(a)
    start = time.perf_counter()
    try:
        path = _find_submission(root / "submission", a.module)
        if path is None:
            result = SubmissionResult(student="submission", assignment=a.name, status=UNREADABLE)
            result.message = f"no {a.module}.py was found in your submission: upload that file"
            result.cases = grader._not_run(f"no {a.module}.py was submitted")
        else:
            protect = [str(root / "source"), str(root / "results")]
            result = grader.grade(path, student="submission", protect=protect)
    finally:
        grader.close()
    result.seconds = result.seconds or time.perf_counter() - start
    atomic_write(
        root / "results" / "results.json",
        json.dumps(results_json(result), indent=2, ensure_ascii=False) + "\n",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade a Gradescope submission with ClusterLab.")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--assignment", required=True)
    args = parser.parse_args(argv)
    result = run(args.root, args.assignment)
    passed = sum(c.status == PASSED for c in result.cases)
    skipped = sum(c.status == NOT_RUN for c in result.cases)
    print(f"graded by ClusterLab in {Path(__file__).resolve().parent}")
    print(
        f"{args.assignment}: {result.score:g}/{result.max_score:g} points, {passed} passed, "
        f"{skipped} not run, status {result.status}"
    )
    for w in result.warnings:
        print(f"warning: {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
