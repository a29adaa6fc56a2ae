"""The distributed path: the same grading on a real Dask scheduler with two worker processes."""

import shutil

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.gradebook import Gradebook
from autograder.grading import Grader

from .conftest import ENGINE

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as local:
        yield local.scheduler_address


def test_grading_on_dask_gives_the_same_results_as_grading_here(cluster, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(ENGINE / "submissions", subs)
    (subs / "linked.py").symlink_to("/etc/passwd")
    toy = assignment.load("toy", root=ENGINE)
    summary = grade_batch(toy, subs, tmp_path / "out", scheduler=cluster)
    assert sorted(summary.graded) == sorted(p.stem for p in subs.iterdir())

    book = Gradebook(tmp_path / "out" / "grades.sqlite")
    try:
        remote = {r.student: r for r in book.results("toy")}
    finally:
        book.close()
    local = Grader(toy)
    try:
        for name in ("good", "endless_loop", "rigged_eq", "syntax_error", "linked"):
            here = local.grade(subs / f"{name}.py", student=name)
            assert remote[name].score == here.score, name
            assert [(c.status, c.output) for c in remote[name].cases] == [
                (c.status, c.output) for c in here.cases
            ], name
    finally:
        local.close()
    assert remote["good"].score == 5 and not remote["good"].warnings
    assert remote["linked"].status == "unreadable"


def test_an_unreachable_scheduler_is_a_clear_failure(tmp_path, monkeypatch):
    import autograder.distributed

    monkeypatch.setattr(autograder.distributed, "CONNECT_TIMEOUT", "2s")
    toy = assignment.load("toy", root=ENGINE)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.py").write_text("GREETING = 'hello'\n")
    with pytest.raises(OSError):
        grade_batch(toy, subs, tmp_path / "out", scheduler="tcp://127.0.0.1:9")
