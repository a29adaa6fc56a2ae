"""Figures of a student's page: made from public-case data, never at the grade's expense.

The toy assignment gets a figures.py (in a temporary copy of its grader folder) with
four figure functions: one from the public case's call (answered by the memo), one
whose call hangs in the figures' own child, one that raises, and one that probes
what the memo holds. The submission passes every case in grading; only the figure
calls misbehave.
"""

import shutil
import textwrap

import numpy as np
import pytest

from autograder import assignment, figures
from autograder.grading import Grader

from .conftest import ENGINE

FIGURES_PY = textwrap.dedent(
    """
    import numpy as np

    from autograder.render import plots

    SEEN = {}


    def from_public_call(student):
        out = np.asarray(student.double(np.arange(4.0)))  # the public case's call
        SEEN["child_calls_after_public"] = student.calls_made
        return [plots.line([0, 1, 2, 3], out, xlabel="x", ylabel="2x", title="Doubled")]


    def hangs(student):
        student.fit(np.array([[1.0], [2.0], [3.0]]))
        return [plots.line([0, 1], [0, 1], xlabel="x", ylabel="y", title="Never drawn")]


    def raises(student):
        raise ValueError("a figure function can fail")


    def probe(student):
        memo = student._memo
        SEEN["public_in_memo"] = memo.get("double", (np.arange(4.0),), {})[0]
        SEEN["hidden_in_memo"] = memo.get("double", (np.linspace(-1, 1, 7),), {})[0]
        return []


    FIGURES = (from_public_call, hangs, raises, probe)
    """
)

TRAP = textwrap.dedent(
    """
    import numpy as np

    GREETING = "hello"


    def double(x):
        return 2 * np.asarray(x)


    class Model:
        def fit(self, X):
            self.center_ = float(np.mean(X))
            return self

        def predict(self, X):
            return (np.asarray(X)[:, 0] > self.center_).astype(int)


    def fit(X):
        while len(X) == 3:  # only the figure's input: grading never sees this
            pass
        return Model().fit(X)
    """
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("figroot")
    shutil.copytree(ENGINE / "graders" / "toy", root / "graders" / "toy")
    (root / "graders" / "toy" / "figures.py").write_text(FIGURES_PY)
    trap = root / "toy.py"
    trap.write_text(TRAP)
    toy = assignment.load("toy", root=root)
    saved = figures.CALL_TIMEOUT
    figures.CALL_TIMEOUT = 1.0
    with_figures, without = Grader(toy, figures=True), Grader(toy)
    try:
        drawn = with_figures.grade(trap, student="trap")
        notes = list(with_figures.figure_notes)
        plain = without.grade(trap, student="trap")
    finally:
        figures.CALL_TIMEOUT = saved
        with_figures.close()
        without.close()
    return {"drawn": drawn, "plain": plain, "notes": notes, "seen": figures.figure_module(toy).SEEN}


def test_figures_never_change_the_grade(graded):
    drawn, plain = graded["drawn"], graded["plain"]
    assert drawn.score == plain.score == plain.max_score
    assert [(c.name, c.status, c.output) for c in drawn.cases] == [
        (c.name, c.status, c.output) for c in plain.cases
    ]
    assert plain.figures == []


def test_a_hanging_or_failing_figure_is_left_out_and_the_others_are_drawn(graded):
    assert [f["title"] for f in graded["drawn"].figures] == ["Doubled"]
    assert graded["drawn"].figures[0]["mime"] == "image/svg+xml"
    hangs, raises = graded["notes"]
    assert hangs.startswith("hangs: ") and "stopped after 1 s" in hangs
    assert raises == "raises: ValueError: a figure function can fail"


def test_the_public_call_is_answered_by_the_memo_and_no_hidden_call_is_in_it(graded):
    seen = graded["seen"]
    assert seen["child_calls_after_public"] == 0, "the public call was made again"
    assert seen["public_in_memo"] is True
    assert seen["hidden_in_memo"] is False, "the memo kept a call made in a hidden case"


def test_no_figures_module_means_no_figures(toy_grader, toy_submission):
    grader = Grader(toy_grader.assignment, figures=True)
    try:
        result = grader.grade(toy_submission("good"), student="good")
    finally:
        grader.close()
    assert result.figures == [] and grader.figure_notes == []
    assert np.isclose(result.score, result.max_score)
