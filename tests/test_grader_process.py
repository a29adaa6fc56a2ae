"""What a grading process loads and runs on: otter's test-file classes without otter's
API (nbconvert, pandas, otter.run), which code that uses it still finds whole, and one
BLAS/OpenMP thread for the grader's own numbers."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(code: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_grading_the_public_checks_never_imports_otters_api():
    proc = run(
        """
        import sys
        from autograder import assignment
        from autograder.grading import Grader

        grader = Grader(assignment.load("handwriting"), public_only=True)
        try:
            result = grader.grade("solutions/handwriting.py", student="s")
        finally:
            grader.close()
        print(result.score, result.max_score)
        print(sorted(m for m in ("otter.api", "otter.run", "otter.export", "nbconvert")
                     if m in sys.modules))
        """
    )
    score, loaded = proc.stdout.splitlines()
    got, out_of = map(float, score.split())
    assert got == out_of > 0  # the same verdicts
    assert loaded == "[]"


def test_the_api_is_the_real_package_on_first_use():
    proc = run(
        """
        import importlib.metadata, sys
        import autograder.testfiles  # registers otter with its __init__ deferred
        assert "otter.api" not in sys.modules
        import otter
        from otter.check.notebook import Notebook
        assert otter.Notebook is Notebook and "otter.api" in sys.modules
        assert otter.__version__ == importlib.metadata.version("otter-grader")
        from otter import logs, api
        assert api.grade_submission is sys.modules["otter.api"].grade_submission
        try:
            otter.no_such_name
        except AttributeError as exc:
            print(exc)
        """
    )
    assert proc.stdout.strip() == "module 'otter' has no attribute 'no_such_name'"


def test_the_graders_own_numbers_use_one_thread_per_library():
    # the limit must cover the graders' imports (scikit-learn loads OpenMP), also those
    # made later: two
    # OpenMP threads made check's reference fit 30x slower on a loaded 2-core machine
    proc = run(
        """
        from threadpoolctl import threadpool_info
        from autograder.grading import Grader

        grader = Grader("handwriting", public_only=True)
        grader.close()
        import sklearn.cluster  # a grader may load scikit-learn (OpenMP) only when it needs it

        for lib in threadpool_info():
            print(lib["internal_api"], lib["num_threads"])
        """
    )
    libraries = [line.split() for line in proc.stdout.splitlines()]
    assert {api for api, _ in libraries} >= {"openmp", "openblas"}
    assert all(threads == "1" for _, threads in libraries), libraries
