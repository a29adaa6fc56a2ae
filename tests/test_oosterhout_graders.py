"""The oosterhout graders against the solution, the stub and broken submissions.

Broken submissions come in two forms (tests/fixtures/oosterhout/):

- ``variants.toml``: the solution with one exact-substring replacement each; ``legit``
  variants must score full marks, each ``bug`` must lose exactly the cases in its
  ``lost`` table, with a message containing the given substring;
- ``submissions.toml``: full student-like files in the same folder, with the same kind
  of expectation.
"""

import re
import tomllib
from pathlib import Path

import pytest

from autograder.grading import grade_submission

from .harness import appended, assert_earns_only, assert_no_cascade, case_parameters

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "oosterhout.py"
STUB = REPO / "assignments" / "oosterhout" / "oosterhout.py"
FIXTURES = REPO / "tests" / "fixtures" / "oosterhout"
VARIANTS = tomllib.loads((FIXTURES / "variants.toml").read_text())
SUBMISSIONS = tomllib.loads((FIXTURES / "submissions.toml").read_text())["submission"]
SOURCE = SOLUTION.read_text()


def _grade(path):
    return grade_submission("oosterhout", path)


def _lost(result):
    return {c.name: c for c in result.cases if c.score < c.max_score}


def _patched(variant, tmp_path):
    path = tmp_path / "oosterhout.py"
    path.write_text(SOURCE.replace(variant["old"], variant["new"]))
    return path


def _assert_outcome(result, expected_lost):
    lost = _lost(result)
    assert set(lost) == set(expected_lost), {n: c.text() for n, c in lost.items()}
    for name, fragment in expected_lost.items():
        assert fragment in lost[name].text(), (name, lost[name].text())
        assert lost[name].status == "failed", (name, lost[name].status)
        if lost[name].hidden:  # says what failed, never the grader's numbers on hidden data
            assert not re.search(r"\d[.,]\d", lost[name].text()), (name, lost[name].text())
    assert result.score == result.max_score - sum(c.max_score for c in lost.values())


def test_the_solution_scores_full_marks():
    result = _grade(SOLUTION)
    assert result.max_score == 49
    assert result.score == result.max_score, {n: c.output for n, c in _lost(result).items()}
    assert all(c.status == "passed" for c in result.cases)
    assert sum(c.hidden for c in result.cases) == 11


def test_the_stub_scores_zero_and_names_each_unfinished_function_once():
    result = _grade(STUB)
    assert result.score == 0
    explained = set()
    for case in result.cases:
        if case.status == "failed":  # the first case of a function says what happened
            assert "NotImplementedError" in case.output, (case.name, case.output)
            function = case.output.split(" raised ")[0]
            assert function not in explained, (case.name, case.output)
            explained.add(function)
        else:  # the others are not run, naming the function (DEPENDS), not re-explained
            assert case.status == "not run", (case.name, case.status)
            assert case.output.removeprefix("not run, because ").split(" failed")[0] in explained
    assert len(explained) == 7


@pytest.mark.parametrize(
    "variant",
    [v for kind in ("legit", "bug", "uncaught") for v in VARIANTS[kind]],
    ids=lambda v: v["id"],
)
def test_each_variant_patches_exactly_one_place_of_the_solution(variant):
    assert SOURCE.count(variant["old"]) == 1, variant["id"]
    assert variant["old"] != variant["new"]


@pytest.mark.parametrize("variant", VARIANTS["legit"], ids=lambda v: v["id"])
def test_legitimate_variants_score_full_marks(variant, tmp_path):
    result = _grade(_patched(variant, tmp_path))
    assert result.score == result.max_score, {n: c.output for n, c in _lost(result).items()}


@pytest.mark.parametrize("variant", VARIANTS["bug"], ids=lambda v: v["id"])
def test_each_bug_loses_exactly_its_cases_with_a_message_that_names_it(variant, tmp_path):
    result = _grade(_patched(variant, tmp_path))
    _assert_outcome(result, variant["lost"])
    assert_no_cascade(result, case_parameters("oosterhout"), SOURCE, variant["old"])


@pytest.mark.parametrize("entry", VARIANTS["degenerate"], ids=lambda e: e["id"])
def test_degenerate_answer_earns_nothing_it_satisfies_only_trivially(entry, tmp_path):
    result = _grade(appended(SOLUTION, entry, tmp_path, "oosterhout"))
    assert_earns_only(result, entry["kept"])


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=lambda s: s["file"])
def test_student_like_submissions_get_their_expected_outcome(submission):
    _assert_outcome(_grade(FIXTURES / submission["file"]), submission.get("lost", {}))
