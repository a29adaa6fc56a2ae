"""The kmeans_scratch graders against the solution, the stub and known variants.

Every entry of tests/fixtures/kmeans_scratch/variants.toml is graded in the sandbox:
legitimate variants must score full marks; each known mistake, student-like file and
demo-class submission must lose exactly the cases listed for it, each with a message that
names the problem. The static sklearn.cluster rule and the D² test are also tested on
their own.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder import assignment
from autograder.grading import grade_submission
from autograder.publish import public_files, strip_hidden
from autograder.testfiles import load_question, load_questions

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
NAME = "kmeans_scratch"
GRADERS = REPO / "autograder" / "graders" / NAME
SOLUTION = REPO / "solutions" / f"{NAME}.py"
STUB = REPO / "assignments" / NAME / f"{NAME}.py"
FIXTURES = REPO / "tests" / "fixtures" / NAME
EXAMPLES = REPO / "examples" / NAME
TABLE = tomllib.loads((FIXTURES / "variants.toml").read_text())
FUNCTIONS = (
    "assign_clusters",
    "update_centroids",
    "init_random",
    "init_kmeans_plus_plus",
    "inertia",
    "kmeans",
    "elbow",
)
# Details of the hidden inputs (sizes, k, keyword values): no hidden message may show them.
HIDDEN_DETAILS = re.compile(
    r"\d+ (features|centroids|clusters|samples)\b|\bk = \d|n_init=\d|random_state=\d|max_iter=\d"
)


@pytest.fixture(scope="module")
def solution_result():
    return grade_submission(NAME, SOLUTION)


@pytest.fixture(scope="module")
def source_rules():
    return load_module(GRADERS / "q9_no_sklearn_cluster.py", "kmeans_scratch_q9_rules")


# ---------------------------------------------------------------- solution and stub


def test_solution_scores_full_marks(solution_result):
    assert solution_result.status == "graded"
    assert lost_cases(solution_result) == {}
    assert solution_result.score == solution_result.max_score == 53


def test_points_per_question_match_the_readme(solution_result):
    points: dict[str, float] = {}
    for case in solution_result.cases:
        points[case.question] = points.get(case.question, 0) + case.max_score
    assert points == {
        "q1_assign_clusters": 6,
        "q2_update_centroids": 6,
        "q3_init_random": 4,
        "q4_init_kmeans_plus_plus": 6,
        "q5_inertia": 3,
        "q6_kmeans": 14,
        "q7_elbow": 4,
        "q8_quiz": 6,
        "q9_no_sklearn_cluster": 4,
    }
    readme = (REPO / "assignments" / NAME / "README.md").read_text()
    for question, value in points.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {question[:2]} "))
        assert row.rstrip(" |").endswith(f"| {value:g}"), row


def test_stub_scores_zero_and_names_each_unfinished_function_once():
    result = grade_submission(NAME, STUB)
    assert result.status == "graded"
    assert result.score == 0
    explained: dict[str, int] = {}
    for case in result.cases:
        if case.question == "q8_quiz":
            assert "no answer" in case.output or "(none) is not correct" in case.output
        elif case.status == "failed":  # the first check of a call says what happened
            assert "NotImplementedError" in case.output, (case.name, case.output)
            function = case.output.split(" raised ")[0]
            explained[function] = explained.get(function, 0) + 1
        else:  # the others are not run, naming the function (DEPENDS), not re-explained
            assert case.status == "not run", (case.name, case.status)
            assert case.output.removesuffix(" failed") in explained, (case.name, case.output)
    # kmeans three times: its default fit (k-means++), its init='random' fit (two ways of
    # starting, judged apart: a broken k-means++ must not cost the random ones), and the
    # sklearn.cluster check's own small fit (a kmeans that fails on iris only keeps those
    # points)
    assert explained == {name: 1 for name in FUNCTIONS} | {"kmeans": 3}


def test_stub_keeps_the_solution_signatures_and_the_quiz_ids():
    stub, solution = load_module(STUB, "kms_stub"), load_module(SOLUTION, "kms_solution")
    for name in FUNCTIONS:
        stub_sig = inspect.signature(getattr(stub, name))
        solution_sig = inspect.signature(getattr(solution, name))
        assert list(stub_sig.parameters) == list(solution_sig.parameters), name
        defaults = [p.default for p in stub_sig.parameters.values()]
        assert defaults == [p.default for p in solution_sig.parameters.values()], name
        assert getattr(stub, name).__doc__, f"{name} in the stub has no docstring"
    assert list(stub.QUIZ) == list(solution.QUIZ)
    assert all(value is Ellipsis for value in stub.QUIZ.values())


def test_the_answer_key_stays_out_of_the_public_files():
    public = strip_hidden((GRADERS / "q8_quiz.py").read_text())
    assert "_hidden_answer_key" not in public
    key = load_module(GRADERS / "q8_quiz.py", "kms_q8")._hidden_answer_key
    for path in (STUB, REPO / "assignments" / NAME / "README.md"):
        text = path.read_text()
        for question, letter in key.items():
            assert f'"{question}": "{letter}"' not in text, path


def test_every_grader_file_has_a_public_copy_that_loads(tmp_path):
    a = assignment.load(NAME)
    for path, text in public_files(a).items():  # the question files and support/ stripped
        target = tmp_path / path.relative_to(a.bundle_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for path in sorted(GRADERS.glob("q*.py")):
        question = load_question(tmp_path / "tests" / path.name)
        assert question.cases and not any(c.hidden for c in question.cases), path.name


# ---------------------------------------------------------------- variants


@pytest.mark.parametrize("entry", TABLE["legit"], ids=lambda e: e["id"])
def test_legitimate_variant_scores_full_marks(entry, tmp_path):
    result = grade_submission(NAME, patched(entry, tmp_path))
    assert lost_cases(result) == {}


@pytest.mark.parametrize("entry", TABLE["bug"], ids=lambda e: e["id"])
def test_known_mistake_loses_exactly_its_cases(entry, tmp_path):
    result = grade_submission(NAME, patched(entry, tmp_path))
    assert_loses_exactly(result, entry["lost"])
    assert_no_cascade(result, case_parameters(NAME), SOLUTION.read_text(), entry["old"])


@pytest.mark.parametrize("entry", TABLE["degenerate"], ids=lambda e: e["id"])
def test_degenerate_answer_earns_nothing_it_satisfies_only_trivially(entry, tmp_path):
    assert_earns_only(
        grade_submission(NAME, appended(SOLUTION, entry, tmp_path, NAME)), entry["kept"]
    )


@pytest.mark.parametrize("entry", TABLE["student"], ids=lambda e: e["file"])
def test_student_file_loses_exactly_its_cases(entry):
    assert_loses_exactly(grade_submission(NAME, FIXTURES / entry["file"]), entry["lost"])


@pytest.mark.parametrize("entry", TABLE["example"], ids=lambda e: e["file"])
def test_demo_class_submission_is_graded_as_described(entry):
    assert_loses_exactly(grade_submission(NAME, EXAMPLES / entry["file"]), entry["lost"])


def test_the_demo_class_is_in_the_table():
    listed = {e["file"] for e in TABLE["example"]}
    assert listed == {p.name for p in EXAMPLES.glob("*.py")}
    assert len(listed) >= 5


def test_every_case_is_lost_by_some_fixture(solution_result):
    """No case that cannot fail: each one is lost by at least one known mistake."""
    titles = {c.name for c in solution_result.cases}
    covered = {t for kind in ("bug", "student") for e in TABLE[kind] for t in e["lost"]}
    quiz = {c.name for c in solution_result.cases if c.question == "q8_quiz"}
    covered |= {t for e in TABLE["example"] for t in e["lost"]} & quiz
    assert titles - covered == set()
    assert covered - titles == set(), "the table names cases that do not exist"


# ---------------------------------------------------------------- sklearn.cluster rule

USES = {
    "import sklearn.cluster": ["line 1: import sklearn.cluster"],
    "import sklearn.cluster as skc": ["line 1: import sklearn.cluster as skc"],
    "import numpy, sklearn.cluster._kmeans": ["line 1: import numpy, sklearn.cluster._kmeans"],
    "from sklearn.cluster import KMeans": ["line 1: from sklearn.cluster import KMeans"],
    "from sklearn.cluster._kmeans import k_means": [
        "line 1: from sklearn.cluster._kmeans import k_means"
    ],
    "from sklearn import cluster": ["line 1: from sklearn import cluster"],
    "from sklearn import datasets, cluster as c": [
        "line 1: from sklearn import datasets, cluster as c"
    ],
    "from sklearn import *": ["line 1: from sklearn import *"],
    "import sklearn\nm = sklearn.cluster.KMeans(3)": ["line 2: sklearn.cluster"],
    "import sklearn.datasets\nm = sklearn.cluster.KMeans": ["line 2: sklearn.cluster"],
    "import sklearn as sk\ngetattr(sk, 'cluster')": ["line 2: getattr(sk, 'cluster')"],
    "import importlib\nimportlib.import_module('sklearn.cluster')": [
        "line 2: importlib.import_module('sklearn.cluster')"
    ],
    "from importlib import import_module as im\nim('sklearn.cluster')": [
        "line 2: im('sklearn.cluster')"
    ],
    "__import__('sklearn.cluster')": ["line 1: __import__('sklearn.cluster')"],
    "__import__('sklearn', fromlist=['cluster'])": [
        "line 1: __import__('sklearn', fromlist=['cluster'])"
    ],
    "exec('from sklearn.cluster import KMeans')": [
        "line 1: exec('from sklearn.cluster import KMeans')"
    ],
    "def f():\n    from sklearn.cluster import KMeans\n    return KMeans": [
        "line 2: from sklearn.cluster import KMeans"
    ],
}
CLEAN = [
    '"""Do not use sklearn.cluster here."""\nimport numpy as np',
    "# from sklearn.cluster import KMeans\nimport numpy as np",
    "from sklearn.datasets import load_iris\nfrom sklearn.metrics.cluster import rand_score",
    "import sklearn.metrics\nsklearn.metrics.cluster.rand_score",
    "from sklearn import datasets\nprint('sklearn.cluster is not used')",
    "cluster = 3\nx = cluster + 1",
    "def broken(:\n    import sklearn.cluster",  # does not parse: the import check reports it
]


@pytest.mark.parametrize("source", list(USES), ids=range(len(USES)))
def test_source_rule_finds_every_ordinary_use(source_rules, source):
    assert source_rules.uses_sklearn_cluster(source) == USES[source]


@pytest.mark.parametrize("source", CLEAN, ids=range(len(CLEAN)))
def test_source_rule_leaves_clean_sources_alone(source_rules, source):
    assert source_rules.uses_sklearn_cluster(source) == []


def test_source_rule_passes_every_file_that_does_not_use_sklearn_cluster(source_rules):
    assert source_rules.uses_sklearn_cluster(SOLUTION.read_text()) == []
    assert source_rules.uses_sklearn_cluster(STUB.read_text()) == []
    assert source_rules.uses_sklearn_cluster((EXAMPLES / "devries_sanne.py").read_text()) == []


def q9_case():
    return load_question(GRADERS / "q9_no_sklearn_cluster.py").cases[0]


def test_q9_reads_the_source_from_file_or_kernel_cells_under_plain_otter(tmp_path):
    """Without ``__source__`` (otter itself), the case falls back to __file__, then In."""
    kmeans = load_module(SOLUTION, "kms_q9_solution").kmeans
    case = q9_case()
    dirty = tmp_path / "dirty.py"
    dirty.write_text("import numpy as np\nfrom sklearn.cluster import KMeans\n")
    with pytest.raises(AssertionError, match="line 2: from sklearn.cluster import KMeans"):
        case.func(env={"__file__": str(dirty)}, kmeans=kmeans)
    case.func(env={"__file__": str(SOLUTION)}, kmeans=kmeans)
    cells = ["import otter", "import numpy as np\nimport sklearn.cluster", "%matplotlib inline"]
    with pytest.raises(AssertionError, match="line 2: import sklearn.cluster"):
        case.func(env={"In": cells}, kmeans=kmeans)
    with pytest.raises(AssertionError, match="could not read the source"):
        case.func(env={}, kmeans=kmeans)


# ---------------------------------------------------------------- numbers behind the checks


def test_d2_probabilities_match_a_simulation_of_the_solution():
    q4 = load_module(GRADERS / "q4_init_kmeans_plus_plus.py", "kms_q4")
    exact = q4.d2_left_out_probabilities()
    assert np.isclose(exact.sum(), 1.0)
    solution = load_module(SOLUTION, "kms_d2_solution")
    X, draws = q4.D2_POINTS, 4000
    counts = np.zeros(len(X))
    for i in range(draws):
        C = solution.init_kmeans_plus_plus(X, q4.D2_K, np.random.default_rng([99, i]))
        rows = {int(np.argmin(((X - c) ** 2).sum(axis=1))) for c in C}
        counts[list(set(range(len(X))) - rows)[0]] += 1
    sd = np.sqrt(draws * exact * (1 - exact))
    assert np.all(np.abs(counts - draws * exact) <= 5 * sd), (counts, draws * exact)


def test_the_best_known_iris_inertias_are_right():
    from sklearn.cluster import KMeans

    q7 = load_module(GRADERS / "q7_elbow.py", "kms_q7")
    X = q7.shared.iris()[0]
    for k, stored in zip(q7.IRIS_K_VALUES, q7.IRIS_BEST_INERTIA, strict=True):
        best = KMeans(k, n_init=20, random_state=0).fit(X).inertia_
        assert abs(best - stored) < 1e-4, (k, best, stored)


def test_the_n_init_groups_have_the_stated_best_inertia():
    from sklearn.cluster import KMeans

    q6 = load_module(GRADERS / "q6_kmeans.py", "kms_q6")
    X, best = q6._hidden_groups()
    assert np.isclose(KMeans(6, n_init=50, random_state=0).fit(X).inertia_, best)


def test_cases_only_take_student_names_or_env():
    solution = load_module(SOLUTION, "kms_names")
    for question in load_questions(assignment.load(NAME).grader_files()):
        for case in question.cases:
            for param in case.params:
                assert param == "env" or hasattr(solution, param), (case.name, param)


def test_the_checks_against_an_unseeded_generator_can_fail():
    """Both sides of those comparisons change with the seed, so an unseeded kmeans is seen."""
    solution = load_module(SOLUTION, "kms_seeds")
    q7 = load_module(GRADERS / "q7_elbow.py", "kms_q7_seeds")
    X, k_values, random_state = q7._hidden_problem()
    assert any(
        solution.kmeans(X, k, random_state=random_state)[2]
        != solution.kmeans(X, k, random_state=random_state + 1)[2]
        for k in k_values
    )
    iris = q7.shared.iris()[0]
    first, second = (
        solution.kmeans(iris, 8, init="random", n_init=1, random_state=s)[0] for s in (0, 1)
    )
    assert not np.array_equal(first, second)


def patched(entry: dict, tmp_path: Path) -> Path:
    return _patched(SOLUTION, entry, tmp_path, NAME)


def assert_loses_exactly(result, expected: dict[str, str]) -> None:
    _assert_loses_exactly(result, expected, HIDDEN_DETAILS)
