"""Export an assignment's full graders as an otter-grader autograder zip (Gradescope, otter run).

The zip is made by ``otter generate`` itself from the same test files ClusterLab
grades with, so a course on Gradescope and a course on ClusterLab grade alike
(Gradescope's container then provides the isolation ClusterLab's sandbox gives here).

Two settings make the zip behave like ClusterLab: ``show_hidden`` (hidden results are
shown once grades are published, the visibility ClusterLab's results JSON gives them,
``autograder.results.HIDDEN_VISIBILITY``), and the graders' ``support/`` folder (the
assignment's ``_shared.py`` and the shared ``graderkit.py``, whose guard gives every call
the assignment's timeout under ``otter run``). ``otter generate`` zips only
``tests/*.py``, so ``support/`` is added to the zip afterwards.

A student may hand in ``<module>.ipynb`` instead of ``<module>.py``: otter runs a
notebook in a Jupyter kernel, where magics (``%matplotlib inline``), shell escapes
(``!pip install``) and plots work as in Jupyter, so the zip needs nothing of its own
for notebooks; ``tests/test_notebook_otter.py`` checks that a notebook scores as the
same code as a ``.py`` under ``otter run`` and works under ``otter check``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.assignment import Assignment


def otter_zip(assignment: Assignment, dest: Path) -> Path:
    """Write ``dest`` (an autograder zip with public and hidden cases and the data files)."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clusterlab-export-") as tmp:
        work = Path(tmp)
        (work / "tests").mkdir()
        for src in assignment.grader_files():
            shutil.copy(src, work / "tests" / src.name)
        for extra in assignment.grader_dir.glob("*.csv"):  # hidden data the cases read
            shutil.copy(extra, work / "tests" / extra.name)
        (work / "otter_config.json").write_text(json.dumps(OTTER_CONFIG))
        files = []
        for data in assignment.data_paths:
            shutil.copy(data, work / data.name)
            files.append(data.name)
        cmd = [
            sys.executable,
            "-m",
            "otter",
            "generate",
            "--tests-dir",
            "tests",
            "--output-path",
            str(dest),
            "--config",
            "otter_config.json",
            "--no-environment",
        ]
        reqs = assignment.bundle_dir / "requirements.txt"
        if reqs.is_file():
            shutil.copy(reqs, work / "requirements.txt")
            cmd += ["--requirements", "requirements.txt"]
        else:
            cmd.append("--no-requirements")
        subprocess.run([*cmd, *files], cwd=work, check=True, capture_output=True, text=True)
    with zipfile.ZipFile(dest, "a") as zf:
        for src in assignment.support_files():
            zf.write(src, f"tests/support/{src.name}")
    return dest


OTTER_CONFIG = {"show_hidden": True}
"""Settings of the exported zip (``otter_config.json``): see the module docstring."""
