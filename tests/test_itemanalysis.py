"""Item analysis against a class small enough to compute by hand.

Five graded students, checks A and B (1 point, question q1), C (2 points), D
(passed by all) and E (failed by all) in q2, and one student whose module did not
import (left out). Scores A, B, C and totals:

    s1: 1 1 2 -> 4 (+1 for D)     s4: 0 0 0 -> 0 (+1)
    s2: 1 1 0 -> 2 (+1)           s5: 1 0 0 -> 1 (+1)
    s3: 1 0 2 -> 3 (+1)

Item A = [1,1,1,0,1], rest = [3,1,2,0,0]: deviations sum to sxy = 1.2, sxx = 0.8,
syy = 6.8, so r = 1.2 / sqrt(0.8 * 6.8) = 0.51450; by the point-biserial formula,
M1 = 1.5, M0 = 0, s = sqrt(1.36), r = 1.5 / 1.16619 * sqrt(0.8 * 0.2) = 0.51450.
Item B = [1,1,0,0,0], rest = [3,1,3,0,1]: r = 0.8 / sqrt(1.2 * 7.2) = 0.27217.
Item C = [2,0,2,0,0], rest = [2,2,1,0,1]: r = 1.2 / sqrt(4.8 * 2.8) = 0.32733.
Question q1 = A + B = [2,2,1,0,1], rest = C + D + E - 1 = C: r = 0.32733.
Upper and lower groups: round(0.27 * 5) = 1 student each, s1 (best) and s4
(worst): D = 1 - 0 = 1 for A, B and C; for question q1 (full = 2), 1 - 0 = 1.
"""

import pytest

from autograder import itemanalysis
from autograder.results import DID_NOT_IMPORT, FAILED, PASSED, CaseResult, SubmissionResult

SCORES = {  # student -> (A, B, C)
    "s1": (1, 1, 2),
    "s2": (1, 1, 0),
    "s3": (1, 0, 2),
    "s4": (0, 0, 0),
    "s5": (1, 0, 0),
}


def _case(question, name, score, points, message=""):
    status = PASSED if score == points else FAILED
    return CaseResult(question, name, float(score), float(points), status, message)


def _class():
    results = []
    for student, (a, b, c) in SCORES.items():
        e_message = "accuracy 0.61 is below the required 0.75" if student < "s4" else "other"
        cases = [
            _case("q1", "A", a, 1, "A failed"),
            _case("q1", "B", b, 1, "B failed"),
            _case("q2", "C", c, 2, "C failed"),
            _case("q2", "D", 1, 1),
            _case("q2", "E", 0, 1, e_message),
        ]
        results.append(SubmissionResult(student, "toy", cases))
    broken = SubmissionResult("s6", "toy", [_case("q1", "A", 0, 1, "x")], status=DID_NOT_IMPORT)
    return [*results, broken]


@pytest.fixture(scope="module")
def stats():
    return {(s.question, s.name): s for s in itemanalysis.analyse(_class())}


def test_the_order_is_each_question_then_its_checks(stats):
    assert list(stats) == [
        ("q1", ""),
        ("q1", "A"),
        ("q1", "B"),
        ("q2", ""),
        ("q2", "C"),
        ("q2", "D"),
        ("q2", "E"),
    ]


def test_only_graded_submissions_count(stats):
    assert {s.n for s in stats.values()} == {5}


@pytest.mark.parametrize(
    ("key", "mean", "share", "r"),
    [
        (("q1", "A"), 0.8, 0.8, 0.51450),
        (("q1", "B"), 0.4, 0.4, 0.27217),
        (("q2", "C"), 0.8, 0.4, 0.32733),
        (("q1", ""), 1.2, 0.4, 0.32733),
    ],
)
def test_mean_share_and_point_biserial_match_the_hand_computation(stats, key, mean, share, r):
    s = stats[key]
    assert s.mean == pytest.approx(mean)
    assert s.share_passing == pytest.approx(share)
    assert s.point_biserial == pytest.approx(r, abs=5e-5)
    assert s.upper_lower == pytest.approx(1.0)


def test_point_biserial_formula_agrees_with_pearson():
    item, rest = [1, 1, 1, 0, 1], [3, 1, 2, 0, 0]
    m1, m0 = 1.5, 0.0
    s = (sum((x - 1.2) ** 2 for x in rest) / 5) ** 0.5
    assert itemanalysis.pearson(item, rest) == pytest.approx((m1 - m0) / s * (0.8 * 0.2) ** 0.5)


def test_items_everyone_or_no_one_passes_are_flagged_and_have_no_correlation(stats):
    assert stats["q2", "D"].flags == ["passed by nearly everyone"]
    assert stats["q2", "D"].point_biserial is None
    assert stats["q2", "E"].flags == ["passed by nearly no one"]
    assert stats["q1", "A"].flags == [] and stats["q2", "C"].flags == []


def test_a_check_weaker_students_pass_more_often_is_flagged():
    results = _class()[:5]
    for r in results:  # passed only by the two weakest students (s4, s5)
        passed = r.student in ("s4", "s5")
        r.cases.append(_case("q3", "F", int(passed), 1, "F failed"))
    f = next(s for s in itemanalysis.analyse(results) if s.name == "F")
    assert f.point_biserial < 0
    assert f.flags == ["weaker students do better"]


def test_the_most_frequent_failure_messages_are_counted(stats):
    assert stats["q2", "E"].messages == [
        ("accuracy 0.61 is below the required 0.75", 3),
        ("other", 2),
    ]
    assert stats["q1", "B"].messages == [("B failed", 3)]
    assert stats["q2", "D"].messages == []


def test_an_empty_class_has_no_items():
    assert itemanalysis.analyse([]) == []
