"""Similarity: a planted copy is found, honest work is not flagged, the stub counts for nothing.

Fixtures (tests/fixtures/similarity/, all kmeans_scratch modules): honest_a and
honest_b were written independently; planted_copy is honest_a with every variable
renamed, the functions in another order and other comments.
"""

from pathlib import Path

import pytest

from autograder.fingerprints import Print, _fingerprint, similarity_matrix
from autograder.similarity import MOST_SIDE_BY_SIDE, THRESHOLD, compare

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


def _class_sources(name: str) -> dict[str, str]:
    """A demo class, the reference solution, the stub, and edge cases (empty, tiny)."""
    sources = {p.stem: p.read_text() for p in sorted((REPO / "examples" / name).glob("*.py"))}
    sources["solution"] = (REPO / "solutions" / f"{name}.py").read_text()
    sources["stub"] = (REPO / "assignments" / name / f"{name}.py").read_text()
    sources["solution_again"] = sources["solution"] + "\n# the same code, another comment\n"
    sources.update(empty="", tiny="x = 1\n")
    return sources


@pytest.mark.parametrize("name", ["handwriting", "kmeans_scratch", "oosterhout"])
def test_all_pairs_at_once_give_copydetects_own_numbers(name):
    """similarity_matrix against copydetect's compare_files, pair by pair, on the demo classes
    (both in this interpreter, so with the same hashes whatever its seed)."""
    import numpy as np
    from copydetect import compare_files

    sources = _class_sources(name)
    stub = sources["stub"]
    boilerplate = np.array(sorted(_fingerprint("stub", stub, None).hashes), dtype=np.int64)
    names = sorted(sources)
    prints = [Print.of(n, sources[n], boilerplate) for n in names]
    originals = [_fingerprint(n, sources[n], boilerplate) for n in names]
    shares = similarity_matrix(prints)
    compared = 0
    for i, a in enumerate(originals):
        for j, b in enumerate(originals):
            if i == j or not a.hashes or not b.hashes:
                continue
            _, (share_a, _), _ = compare_files(a, b)
            assert shares[i, j] == share_a, (names[i], names[j])
            compared += share_a > 0
    assert compared > len(names)  # most pairs share some code: the numbers were compared
    i, j = names.index("solution"), names.index("solution_again")
    assert shares[i, j] == shares[j, i] == 1.0
    assert not shares[names.index("empty")].any() and not shares[:, names.index("empty")].any()


def test_a_class_of_copies_shows_the_most_similar_side_by_side_and_counts_the_rest(tmp_path):
    from autograder.render import Batch
    from autograder.render.html import similarity_page

    solution = (REPO / "solutions" / "kmeans_scratch.py").read_text()
    sources = {f"s{i:02d}": solution + f"\n# copy {i}\n" for i in range(16)}  # 120 pairs
    report = compare(sources, boilerplate=STUB)
    assert len(report.pairs) == 120 and len(report.flagged()) == 120
    assert all(p.similarity == 1.0 for p in report.pairs)
    shown = [p for p in report.pairs if p.html_a]
    assert shown == report.pairs[:MOST_SIDE_BY_SIDE] and all("<mark>" in p.html_b for p in shown)
    assert report.flagged_not_shown() == 120 - MOST_SIDE_BY_SIDE
    page = similarity_page(Batch("kmeans_scratch", "K-means", [], [], similarity=report))
    assert page.count('<div class="side">') == MOST_SIDE_BY_SIDE
    assert f"{120 - MOST_SIDE_BY_SIDE} more pairs at or above 70% are not shown" in page
    assert report.to_csv().count("\n") == 121  # every pair is still in the CSV


def test_the_child_lexes_on_several_cores_while_its_stdin_is_still_open(tmp_path):
    """The similarity child's reader thread blocks in a read of stdin until the batch closes
    it; a pool forked meanwhile must not inherit that read's lock. It did: every forked
    lexer hung closing its copy of stdin, and the batch waited on the report for ever (seen
    once in CI, test_faults' rerun). Here stdin stays open for a while after the sources,
    which makes that race certain; the report must still come."""
    import json
    import os
    import subprocess
    import sys
    import time

    if min(len(os.sched_getaffinity(0)), 4) < 2:
        pytest.skip("one core: the child lexes in its own process, no pool is forked")
    solution = (REPO / "solutions" / "kmeans_scratch.py").read_text()
    sources = {f"s{i:02d}": solution + f"\nX_{i} = {i}\n" for i in range(12)}  # none lexed
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out, err = tmp_path / "report.json", tmp_path / "stderr.txt"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.similarity"],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,  # a file: a pipe nobody reads could fill and stall the child
            env=env,
            cwd=REPO,
        )
        try:
            for message in ({"boilerplate": STUB, "threshold": THRESHOLD}, {"sources": sources}):
                proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
            time.sleep(2)  # the child has the sources; its reader still waits on stdin
            proc.stdin.close()
            proc.wait(timeout=60)
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.read_text(errors="replace")[-2000:]
    report = json.loads(out.read_text())
    assert len(report["names"]) == 12 and len(report["first"]) == 66


def test_a_similarity_check_that_does_not_finish_in_time_is_stopped_and_reported(monkeypatch):
    """The batch's outputs must not wait for ever on the similarity child: past its time
    limit the child is stopped and result() says so (the batch then reports the check as
    not run and writes everything else)."""
    import autograder.similarity as similarity

    monkeypatch.setattr(similarity, "WAIT_BASE", 0.0)
    monkeypatch.setattr(similarity, "WAIT_PER_FILE", 0.0)
    comparison = similarity.Comparison(boilerplate=STUB)
    if comparison._proc is None:
        pytest.skip("this interpreter's hash seed is fixed: the comparison runs in-process")
    comparison.send(_sources())
    with pytest.raises(RuntimeError, match="did not finish in 0 s"):
        comparison.result()
    assert comparison._proc.poll() is not None  # stopped, not left running
