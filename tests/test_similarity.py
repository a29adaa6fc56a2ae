"""Similarity: a planted copy is found, honest work is not flagged, the stub counts for nothing.

Fixtures (tests/fixtures/similarity/, all kmeans_scratch modules): honest_a and
honest_b were written independently; planted_copy is honest_a with every variable
renamed, the functions in another order and other comments.
"""

from pathlib import Path

import pytest

from autograder.similarity import THRESHOLD, compare

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "similarity"
STUB = (REPO / "assignments" / "kmeans_scratch" / "kmeans_scratch.py").read_text()


def _sources():
    sources = {p.stem: p.read_text() for p in sorted(FIXTURES.glob("*.py"))}
    sources["stub_only"] = STUB  # a student who handed in the stub unchanged
    sources["solution"] = (REPO / "solutions" / "kmeans_scratch.py").read_text()
    return sources


@pytest.fixture(scope="module")
def report():
    return compare(_sources(), boilerplate=STUB)


def _pair(report, a, b):
    return next(p for p in report.pairs if {p.student_a, p.student_b} == {a, b})


def test_the_planted_copy_is_the_top_pair_and_flagged(report):
    top = report.pairs[0]
    assert {top.student_a, top.student_b} == {"honest_a", "planted_copy"}
    assert top.similarity >= THRESHOLD
    assert report.flagged() == [top]
    assert "<mark>" in top.html_a and "<mark>" in top.html_b


def test_independent_honest_variants_are_not_flagged(report):
    for a, b in [("honest_a", "honest_b"), ("honest_b", "solution"), ("honest_a", "solution")]:
        pair = _pair(report, a, b)
        assert pair.similarity < THRESHOLD / 2, pair
        assert pair not in report.flagged()


def test_the_stub_alone_scores_no_similarity(report):
    for other in ("honest_a", "honest_b", "planted_copy", "solution"):
        pair = _pair(report, "stub_only", other)
        assert pair.similarity == 0.0 and pair.html_a == "", "nothing to show side by side"


def test_every_pair_once_most_similar_first_and_the_csv_says_the_same(report):
    n = len(_sources())
    assert len(report.pairs) == n * (n - 1) // 2
    values = [p.similarity for p in report.pairs]
    assert values == sorted(values, reverse=True)
    lines = report.to_csv().splitlines()
    assert lines[0] == "student_a,student_b,similarity"
    assert lines[1] == f"honest_a,planted_copy,{report.pairs[0].similarity:.4f}"
    assert len(lines) == len(report.pairs) + 1


def test_the_same_submissions_give_the_same_numbers_on_every_run(report):
    again = compare(_sources(), boilerplate=STUB)
    assert again.to_csv() == report.to_csv()
