"""The handwriting graders against the solution, the stub and known variants.

Every variant of tests/fixtures/handwriting/variants.toml is graded in the sandbox:
legitimate variants must score full marks, each known mistake must lose exactly the
cases listed for it, each with a message that names the problem.
"""

from __future__ import annotations

import collections
import inspect
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder import assignment
from autograder.grading import grade_submission
from autograder.sandbox import protocol
from autograder.sandbox.session import Session
from autograder.testfiles import load_questions

from .harness import appended, assert_earns_only, load_module, lost_cases
from .harness import assert_loses_exactly as _assert_loses_exactly
from .harness import patched as _patched

REPO = Path(__file__).resolve().parent.parent
NAME = "handwriting"
SOLUTION = REPO / "solutions" / f"{NAME}.py"
STUB = REPO / "assignments" / NAME / f"{NAME}.py"
FIXTURES = REPO / "tests" / "fixtures" / NAME
TABLE = tomllib.loads((FIXTURES / "variants.toml").read_text())
FUNCTIONS = (
    "load_digits_data",
    "fit_kmeans",
    "centroid_images",
    "map_clusters_to_digits",
    "predict_digits",
    "mapping_accuracy",
    "confusion_counts",
    "most_confused_pair",
    "cluster_sizes",
)
# what the hidden inputs look like; no hidden message may show it
HIDDEN_SHAPES = re.compile(r"\b(1000|797|320|240)\b|\(12, |\(7, |\(4, 5\)")


def cases_taking(parameter: str) -> set[str]:
    """Titles of the cases that call the student's ``parameter``."""
    questions = load_questions(assignment.load(NAME).grader_files())
    return {c.name for q in questions for c in q.cases if parameter in c.params}


@pytest.fixture(scope="module")
def solution_result():
    return grade_submission(NAME, SOLUTION)


def test_solution_scores_full_marks(solution_result):
    assert solution_result.status == "graded"
    assert lost_cases(solution_result) == {}
    assert solution_result.score == solution_result.max_score == 100


FITS = {  # (rows, columns, n_clusters, random_state): calls of fit_kmeans per submission
    (1797, 64, 10, 0): 1,  # the default fit (q2-q5), memoised
    (100, 64, 10, 0): 3,  # the seed checks: memoised labels, a refit, a refit in a new process
    (100, 64, 10, 11): 1,  # uses its random_state
    (1000, 64, 12, 5): 1,  # the shuffled subset (both hidden q3 cases), q4's and q5's other model
    (320, 5, 4, 0): 1,  # the blobs, another n_clusters
}


def test_a_submission_is_asked_each_fit_once_and_each_attribute_of_a_model_once(monkeypatch):
    fits, reads = collections.Counter(), collections.Counter()
    original = Session._request

    def counted(self, req, label, timeout):
        if isinstance(req, protocol.Call) and req.target == "fit_kmeans":
            X = req.args[0]
            fits[(*X.shape, req.kwargs["n_clusters"], req.kwargs["random_state"])] += 1
        elif isinstance(req, protocol.GetAttr):
            reads[(req.target._generation, req.target._id, req.name)] += 1
        return original(self, req, label, timeout)

    monkeypatch.setattr(Session, "_request", counted)
    assert grade_submission(NAME, SOLUTION).score == 100
    assert dict(fits) == FITS
    assert reads and max(reads.values()) == 1, [k for k, n in reads.items() if n > 1]


def test_a_models_attributes_are_read_once_as_read_only_copies_and_odd_objects_every_time():
    shared = load_module(REPO / "autograder" / "graders" / NAME / "support" / "_shared.py", "hw_s")

    class Model:  # what otter and pytest pass: the student's own object
        def __init__(self):
            self.labels_ = np.arange(3)

    model = Model()
    labels = shared.read(model, "labels_")
    model.labels_[0] = 9  # the student's object changes later: the graders keep what they read
    assert shared.read(model, "labels_") is labels and labels.tolist() == [0, 1, 2]
    assert not labels.flags.writeable and not shared.has(model, "cluster_centers_")

    class Unhashable(Model):
        def __hash__(self):
            raise ValueError("no hash")

    odd = Unhashable()
    assert shared.read(odd, "labels_").tolist() == [0, 1, 2]
    odd.labels_ = np.arange(2)  # nothing to keep it by: read again every time
    assert shared.read(odd, "labels_").tolist() == [0, 1]
    assert not shared.has({"labels_": 1}, "labels_") and not shared.has(None, "labels_")


def test_stub_scores_zero_and_each_function_reports_not_implemented_once():
    result = grade_submission(NAME, STUB)
    assert result.status == "graded"
    assert result.score == 0
    failed = [c for c in result.cases if c.status == "failed"]
    assert all("NotImplementedError" in c.output for c in failed)
    fit = [c for c in failed if c.output.startswith("fit_kmeans raised")]
    assert len(fit) == 1, [c.name for c in fit]  # explained once, where it happened
    for case in result.cases:
        if case.status == "not run":
            assert case.output == "fit_kmeans failed" or case.output.startswith("the check “")


def test_stub_keeps_the_solution_signatures():
    stub, solution = load_module(STUB, "hw_stub"), load_module(SOLUTION, "hw_solution")
    for name in FUNCTIONS:
        stub_sig = inspect.signature(getattr(stub, name))
        solution_sig = inspect.signature(getattr(solution, name))
        assert list(stub_sig.parameters) == list(solution_sig.parameters), name
        defaults = [p.default for p in stub_sig.parameters.values()]
        assert defaults == [p.default for p in solution_sig.parameters.values()], name
        assert getattr(stub, name).__doc__, f"{name} in the stub has no docstring"


@pytest.mark.parametrize("entry", TABLE["legit"], ids=lambda e: e["id"])
def test_legitimate_variant_scores_full_marks(entry, tmp_path):
    result = grade_submission(NAME, patched(entry, tmp_path))
    assert lost_cases(result) == {}


@pytest.mark.parametrize("entry", TABLE["bug"], ids=lambda e: e["id"])
def test_known_mistake_loses_exactly_its_cases(entry, tmp_path):
    assert_loses_exactly(grade_submission(NAME, patched(entry, tmp_path)), entry["lost"])


@pytest.mark.parametrize("entry", TABLE["student"], ids=lambda e: e["file"])
def test_student_file_loses_exactly_its_cases(entry):
    assert_loses_exactly(grade_submission(NAME, FIXTURES / entry["file"]), entry["lost"])


def test_every_case_is_lost_by_some_fixture(solution_result):
    """No case that cannot fail: each one is lost by at least one known mistake."""
    titles = {c.name for c in solution_result.cases}
    covered = {t for kind in ("bug", "student") for e in TABLE[kind] for t in e["lost"]}
    assert titles - covered == set()
    assert covered - titles == set(), "the table names cases that do not exist"


def test_a_module_that_does_not_import_runs_no_case():
    result = grade_submission(NAME, FIXTURES / "import_error_student.py")
    assert result.status == "did not import"
    assert "ImportError" in result.message and "Kmeans" in result.message
    assert result.score == 0
    assert {c.status for c in result.cases} == {"not run"}
    assert all(c.output == "handwriting.py did not import" for c in result.cases)


def test_an_endless_fit_kmeans_is_stopped_and_the_rest_still_graded():
    result = grade_submission(NAME, FIXTURES / "endless_loop_student.py", timeout=3)
    lost = lost_cases(result)
    assert set(lost) == cases_taking("fit_kmeans")
    assert all(
        ("fit_kmeans" in out and "stopped" in out)
        or out in ("fit_kmeans failed",)
        or out.startswith("the check “")
        for out in lost.values()
    ), lost
    assert result.score == result.max_score - sum(
        c.max_score for c in result.cases if c.name in lost
    )


def patched(entry: dict, tmp_path: Path) -> Path:
    return _patched(SOLUTION, entry, tmp_path, NAME)


def assert_loses_exactly(result, expected: dict[str, str]) -> None:
    _assert_loses_exactly(result, expected, HIDDEN_SHAPES)


@pytest.mark.parametrize("entry", TABLE["degenerate"], ids=lambda e: e["id"])
def test_a_degenerate_submission_earns_only_what_it_does_not_satisfy_trivially(entry, tmp_path):
    result = grade_submission(NAME, appended(SOLUTION, entry, tmp_path, NAME))
    assert_earns_only(result, entry["kept"])


def test_every_case_names_the_properties_it_tests(solution_result):
    assert {c.name for c in solution_result.cases} == set(TABLE["properties"])


@pytest.mark.parametrize(
    "entry", TABLE["bug"] + TABLE["student"], ids=lambda e: e.get("id", e.get("file"))
)
def test_a_single_bug_loses_only_cases_of_the_property_it_breaks(entry, tmp_path):
    """One mistake, one deduction: a lost case either tests a property the bug breaks or
    was not run because something it relies on failed (said once, where it failed)."""
    path = FIXTURES / entry["file"] if "file" in entry else patched(entry, tmp_path)
    result = grade_submission(NAME, path)
    breaks = set(entry["breaks"])
    for case in result.cases:
        if case.score == case.max_score:
            continue
        if case.status == "not run":
            assert case.output.endswith(" failed") or case.output.startswith("the check “"), (
                case.name,
                case.output,
            )
        else:
            assert breaks & set(TABLE["properties"][case.name]), (
                f"{case.name!r} tests {TABLE['properties'][case.name]}, not {sorted(breaks)}"
            )


def test_the_stored_digits_and_reference_fit_equal_a_fresh_computation():
    """support/digits.npz spares every grading process scikit-learn's import; it must be
    exactly the digits load_digits gives, the grader's own k=10 fit of them, and its k=12
    fit of the hidden subset."""
    shared = load_module(REPO / "autograder" / "graders" / NAME / "support" / "_shared.py", "hw_d")
    assert shared.STORED.is_file()
    stored, fresh = shared._stored(), shared.compute_stored()
    assert np.array_equal(stored["X"], fresh["X"]) and np.array_equal(stored["y"], fresh["y"])
    X, y = shared.digits()
    assert X.dtype == float and y.dtype == int and X.shape == (1797, 64) and X.max() == 16
    # a K-means fit may differ in a few rows on another BLAS; the stored one must agree
    assert np.mean(stored["labels10"] == fresh["labels10"]) >= 0.98
    assert abs(float(stored["inertia10"]) - float(fresh["inertia10"])) <= 1e-3 * fresh["inertia10"]
    labels, inertia = shared.reference_fit(shared.digits, 10)
    assert np.array_equal(labels, stored["labels10"]) and inertia == float(stored["inertia10"])
    assert np.mean(stored["labels_subset12"] == fresh["labels_subset12"]) >= 0.98
    fresh_12 = float(fresh["inertia_subset12"])
    assert abs(float(stored["inertia_subset12"]) - fresh_12) <= 1e-3 * fresh_12
    labels, inertia = shared.reference_fit(shared._hidden_subset, 12)
    assert labels.shape == (1000,) and inertia == float(stored["inertia_subset12"])
