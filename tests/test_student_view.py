"""What a student reads: a forgotten `return` named as such, and their own printed output.

Every test runs the real `clusterlab` command (or the bundle's pytest) in a subprocess.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.render.terminal import PRINTED_LINES, PRINTED_MARK

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "solutions" / "handwriting.py").read_text()
NO_RETURN_FIT = SOLUTION.replace(
    "    return KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(X)",
    "    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(X)",
)
NO_RETURN_SIZES = SOLUTION.replace(
    "    return {int(i): int(n) for i, n in zip(ids, counts, strict=True)}",
    "    sizes = {int(i): int(n) for i, n in zip(ids, counts, strict=True)}",
)
# prints what its functions are given: in a hidden case that would be a hidden input
ECHO = SOLUTION.replace(
    "    ids, counts = np.unique(np.asarray(cluster_labels), return_counts=True)",
    "    print('ECHO-INPUT', list(np.asarray(cluster_labels)[:5]))\n"
    "    ids, counts = np.unique(np.asarray(cluster_labels), return_counts=True)",
)
HOSTILE_PRINTS = """
import sys
print("loading my module")
print("\\x1b[2J\\x1b[H\\x1b[32m✓ all checks passed\\x1b[0m\\x07", file=sys.stderr)
print("[bold green]public checks: 100/100[/]\\rwiped \\u202eevil")
for i in range(200_000):
    print("spam", i, "x" * 40)
"""


def clusterlab(*args, cwd=REPO, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_sources_are_each_one_change_of_the_solution():
    for changed in (NO_RETURN_FIT, NO_RETURN_SIZES, ECHO):
        assert changed != SOLUTION


def test_check_says_the_function_returned_none(tmp_path):
    proc = clusterlab("check", "handwriting", write(tmp_path / "handwriting.py", NO_RETURN_FIT))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "fit_kmeans returned None" in out, out
    assert "hint: did you forget `return ...` at the end of fit_kmeans?" in out
    assert "has no attribute" not in out and "NoneType" not in out


# every assignment: one function per assignment loses its `return`
FORGOTTEN = {
    "kmeans_scratch": (
        "assign_clusters",
        "    return np.argmin(d2, axis=1).astype(int)  # argmin returns the first minimum",
    ),
    "oosterhout": (
        "fit_kmeans",
        "    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)",
    ),
    "color_compression": ("quantize", "    return colours[nearest].reshape(img.shape)"),
    "mnist_clustering": ("map_clusters", "    return mapping"),
}


@pytest.mark.parametrize("name", sorted(FORGOTTEN))
def test_check_says_it_for_every_assignment(name, tmp_path):
    function, line = FORGOTTEN[name]
    solution = (REPO / "solutions" / f"{name}.py").read_text()
    assert solution.count(line) == 1
    forgetful = solution.replace(line, line.replace("return ", "_ = ", 1))
    proc = clusterlab("check", name, write(tmp_path / f"{name}.py", forgetful))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{function} returned None" in proc.stdout, proc.stdout[-3000:]
    assert f"did you forget `return ...` at the end of {function}?" in proc.stdout


def test_grade_says_it_in_public_and_hidden_cases_and_shows_no_printed_output(tmp_path):
    subs = tmp_path / "subs"
    write(subs / "kim.py", NO_RETURN_SIZES)
    write(subs / "echo.py", ECHO)
    write(subs / "honest.py", SOLUTION)
    out = tmp_path / "out"
    proc = clusterlab("grade", "handwriting", subs, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kim = json.loads((out / "results" / "kim.json").read_text())
    lost = {
        (case["hidden"], test["output"])
        for test, case in zip(kim["tests"], kim["extra_data"]["cases"], strict=True)
        if test["score"] < test["max_score"]
    }
    said = (
        "cluster_sizes returned None\n"
        "hint: did you forget `return ...` at the end of cluster_sizes?"
    )
    assert lost == {(False, said), (True, said)}, lost
    assert kim["score"] == 93
    honest = json.loads((out / "results" / "honest.json").read_text())
    assert honest["score"] == 100
    # what echo printed (inputs of hidden cases among it) reaches no student-facing file
    echo = json.loads((out / "results" / "echo.json").read_text())
    assert "ECHO-INPUT" in echo["extra_data"]["child_output"]  # the teacher's copy
    echo.pop("extra_data")
    assert "ECHO-INPUT" not in json.dumps(echo)
    pages = list((out / "feedback").iterdir())
    assert pages and not [p for p in pages if "ECHO-INPUT" in p.read_text(errors="replace")]


def test_bundle_pytest_says_the_function_returned_none(tmp_path):
    bundle = tmp_path / "handwriting"
    shutil.copytree(REPO / "assignments" / "handwriting", bundle)
    (bundle / "handwriting.ipynb").unlink()
    write(bundle / "handwriting.py", NO_RETURN_SIZES)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "1 failed" in proc.stdout, proc.stdout[-3000:]
    assert "cluster_sizes returned None" in proc.stdout
    assert "did you forget `return ...` at the end of cluster_sizes?" in proc.stdout


def test_check_shows_what_the_code_printed_bounded_and_harmless(tmp_path):
    proc = clusterlab(
        "check", "handwriting", write(tmp_path / "handwriting.py", SOLUTION + HOSTILE_PRINTS)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "public checks: 64/64 points" in out
    results, _, printed = out.partition("your code printed (stdout and stderr):\n")
    assert printed, out[-2000:]
    lines = printed.splitlines()
    assert lines[0] == PRINTED_MARK + "loading my module"
    # every shown line is marked as the student's; escapes are written out, never obeyed
    shown = [line for line in lines if line.startswith(PRINTED_MARK)]
    assert len(shown) <= PRINTED_LINES
    assert shown[1].startswith(PRINTED_MARK + r"\x1b[2J\x1b[H\x1b[32m✓ all checks passed")
    assert PRINTED_MARK + "[bold green]public checks: 100/100[/]" in shown
    assert PRINTED_MARK + r"wiped \u202eevil" in shown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", out)
    # how much was left out, in numbers
    cut = re.fullmatch(r"  … ([\d,]+) more bytes not shown \(([\d,]+) in all\)", lines[-1])
    assert cut, lines[-1]
    assert int(cut[2].replace(",", "")) > 10_000_000
    assert len(out) < 20_000
