"""Notebooks under the real otter-grader: the exported zip (`otter run`) and `otter check`.

Students hand in `handwriting.ipynb` as Jupyter saves it: IPython magics, a shell
escape and a plot at top level. Under otter a notebook runs in a Jupyter kernel, where
those lines work as they do in Jupyter; the score must be that of the same code as a
`.py` file. Three `otter run`s and one `otter check` (about 40 s in all).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import assignment
from autograder.export import otter_zip

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "solutions" / "handwriting.py").read_text()
# two forgotten returns: each loses its public and its hidden case, nothing else
FORGETFUL = SOLUTION.replace(
    "    return int(true), int(predicted)", "    pair = int(true), int(predicted)"
).replace(
    "    return {int(i): int(n) for i, n in zip(ids, counts, strict=True)}",
    "    sizes = {int(i): int(n) for i, n in zip(ids, counts, strict=True)}",
)
SETUP_CELL = "%matplotlib inline\n!pip install --no-index --quiet scikit-learn\nimport numpy as np"
PLOT_CELL = (
    "import matplotlib.pyplot as plt\n"
    "X, y = load_digits_data()\n"
    "fig, axes = plt.subplots(1, 3)\n"
    "for ax, image in zip(axes, X[:3]):\n"
    "    ax.imshow(image.reshape(8, 8), cmap='gray_r')\n"
    "plt.show()\n"
    "print('plotted', len(X), 'digits')"
)


def notebook(source: str, path: Path) -> Path:
    """A notebook as Jupyter saves it: Markdown, magics, the functions, a plot."""
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Handwritten digits\n\nMy work for the assignment."),
            new_code_cell(SETUP_CELL),
            new_code_cell(source),
            new_markdown_cell("Let us look at some digits."),
            new_code_cell(PLOT_CELL),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def otter_run(zip_path: Path, submission: Path, out: Path) -> dict[str, float]:
    """Question -> score of one `otter run` with the exported zip."""
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "run", "-a", str(zip_path), "-o", str(out), "--no-logo"]
        + [str(submission)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (out / "results.json").is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    tests = json.loads((out / "results.json").read_text())["tests"]
    return {t["name"]: t["score"] for t in tests if "score" in t}


@pytest.fixture(scope="module")
def handwriting_zip(tmp_path_factory) -> Path:
    return otter_zip(assignment.load("handwriting"), tmp_path_factory.mktemp("zip") / "hw.zip")


def test_a_notebook_with_magics_and_a_plot_scores_under_otter_run_as_its_py(
    handwriting_zip, tmp_path
):
    good = otter_run(
        handwriting_zip, notebook(SOLUTION, tmp_path / "good" / "handwriting.ipynb"), tmp_path / "g"
    )
    forgetful_py = tmp_path / "py" / "handwriting.py"
    forgetful_py.parent.mkdir()
    forgetful_py.write_text(FORGETFUL)
    as_py = otter_run(handwriting_zip, forgetful_py, tmp_path / "p")
    as_nb = otter_run(
        handwriting_zip,
        notebook(FORGETFUL, tmp_path / "nb" / "handwriting.ipynb"),
        tmp_path / "n",
    )
    questions = {"q1_load_data", "q2_fit_kmeans", "q3_converged", "q4_clusters", "q5_evaluation"}
    assert set(good) == questions
    assert sum(good.values()) == 100, good
    assert as_nb == as_py, (as_nb, as_py)
    # cluster_sizes (3 public + 4 hidden) and most_confused_pair (2 + 3) lose their points
    assert sum(as_py.values()) == 100 - 12, as_py
    assert as_py["q1_load_data"] == good["q1_load_data"]


def test_otter_check_runs_a_notebook_in_the_bundle(tmp_path):
    bundle = tmp_path / "handwriting"
    shutil.copytree(REPO / "assignments" / "handwriting", bundle)
    (bundle / "handwriting.py").unlink()
    notebook(FORGETFUL, bundle / "handwriting.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "check", "handwriting.ipynb"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout
    assert "q1_load_data results: All test cases passed!" in out, out[-3000:] + proc.stderr[-2000:]
    assert "q2_fit_kmeans results: All test cases passed!" in out
    assert "cluster_sizes returned" in out and "most_confused_pair returned None" in out
    assert out.count("Test case failed") == 2, out
