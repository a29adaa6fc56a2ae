"""Each bundle's requirements.txt is enough: a fresh venv runs pytest and otter check.

A student installs only `requirements.txt` (never ClusterLab). For every distinct
requirements file this makes a fresh venv, installs exactly that file (all of its
dependencies, from the package index pip is configured with), and runs `pytest` and
`otter check` on the reference solution in a copy of the bundle. It caught
kmeans_scratch's missing `otter-grader[grading]` (`otter check` failed with
`NoSuchKernel`).

Measured: 136 s wall under ``-n 2`` on 2 cores, 200 s of CPU, five venvs of about
0.7 GB each (a venv with its own pip that compiles bytecode took 49 s to install one
set, against 14 s here). So it is marked ``install``: ``make test`` skips it and ``make
test-install`` (run by ``.ci/run`` after ``make test``) runs it. Each venv is made
without a pip of its own (the running pip installs into it with ``--python``) and
without compiling bytecode, and is removed as soon as its bundles have been checked.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from autograder import assignment

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.install


def requirement_sets() -> dict[str, list[str]]:
    """Requirements text (comments and order ignored) -> the assignments that use it."""
    sets: dict[str, list[str]] = defaultdict(list)
    for name in assignment.names():
        reqs = assignment.load(name).bundle_dir / "requirements.txt"
        lines = [line.split("#")[0].strip() for line in reqs.read_text().splitlines()]
        sets["\n".join(sorted(line for line in lines if line))].append(name)
    return dict(sets)


SETS = requirement_sets()


def run(cmd: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_every_bundle_has_a_solution_and_requirements():
    for names in SETS.values():
        for name in names:
            assert (REPO / "solutions" / f"{name}.py").is_file(), name
    assert sum(len(names) for names in SETS.values()) == len(assignment.names())


@pytest.mark.parametrize("names", list(SETS.values()), ids=lambda names: "+".join(names))
def test_the_requirements_alone_run_pytest_and_otter_check_on_the_solution(names):
    with tempfile.TemporaryDirectory(prefix="clusterlab-fresh-venv-") as tmp:
        root = Path(tmp)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP"}
        }
        venv = root / "venv"
        made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, env)
        assert made.returncode == 0, made.stderr
        python = venv / "bin" / "python"
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
        reqs = assignment.load(names[0]).bundle_dir / "requirements.txt"
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install"]
        installed = run([*pip, "--no-compile", "-q", "-r", str(reqs)], root, env)
        assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
        # nothing of this checkout is importable in the fresh venv
        alone = run([str(python), "-c", "import autograder"], root, env)
        assert alone.returncode != 0
        for name in names:
            a = assignment.load(name)
            bundle = root / name
            shutil.copytree(a.bundle_dir, bundle)
            module = bundle / f"{a.module}.py"
            shutil.copy(REPO / "solutions" / f"{name}.py", module)
            notebook = bundle / f"{a.module}.ipynb"
            if notebook.exists():  # the checks read the file saved last: the solution
                stamp = notebook.stat().st_mtime
                os.utime(module, (stamp + 10, stamp + 10))
            tests = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], bundle, env)
            assert tests.returncode == 0, f"{name}: pytest\n{tests.stdout[-3000:]}"
            assert " passed" in tests.stdout and "failed" not in tests.stdout
            otter = run([str(python), "-m", "otter", "check", module.name], bundle, env)
            assert otter.returncode == 0, f"{name}: otter check\n{otter.stderr[-3000:]}"
            assert "All tests passed!" in otter.stdout, otter.stdout[-3000:]
