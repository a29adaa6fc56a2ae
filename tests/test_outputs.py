"""A batch's outputs, written fast: the same files as before, in the same order of safety.

The writers that never show similarity are written while the similarity check runs;
results/*.json are the standard library's indented JSON, byte for byte; similarity.csv is
what the csv module writes; a similarity check that is not waited for is stopped.
"""

import csv
import io
import json
import os
import stat
import time
from pathlib import Path

import pytest

from autograder.gradebook import atomic_write
from autograder.render import Batch, write_all
from autograder.render.gradescope import dumps, results_json
from autograder.results import CaseResult, SubmissionResult
from autograder.similarity import Comparison, Pair, SimilarityReport, compare

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "solutions" / "kmeans_scratch.py").read_text()
STUB = (REPO / "assignments" / "kmeans_scratch" / "kmeans_scratch.py").read_text()


def _result(student: str) -> SubmissionResult:
    cases = [
        CaseResult("q1", "shape of the centres", 2, 2, "passed", seconds=0.125),
        CaseResult(
            "q1",
            'labels ∈ 0..k-1 "quoted" \\ back\u2028slash',
            0,
            3,
            "failed",
            output="your labels go up to 10",
            hint="count from 0",
            expected="(10, 64)",
            actual="(64, 10)",
        ),
        CaseResult("q2", "hidden one", 1.5, 1.5, "passed", hidden=True, seconds=1e-05),
        CaseResult("q2", "not run", 0, 4, "not run", output="fit failed", detail="Trace\n"),
    ]
    return SubmissionResult(
        student=student,
        assignment="kmeans_scratch",
        cases=cases,
        notes=["a note"],
        warnings=["w"],
        integrity=[],
        seconds=2.5,
        sha256="ab" * 32,
        output="printed\x00 é",
    )


def test_results_json_is_the_standard_librarys_indented_json_byte_for_byte():
    data = results_json(_result("ana"))
    assert dumps(data) == json.dumps(data, indent=2, ensure_ascii=False)
    odd = {
        "empty": [[], {}],
        "numbers": [0, -1, 2**70, 0.1, -0.0, 1e16, 1e-07, float("nan"), float("inf")],
        "flags": [True, False, None],
        "tuple": (1, "x"),
        "nested": {"a": [{"b": {"c": "\t\n\u2028"}}]},
    }
    assert dumps(odd) == json.dumps(odd, indent=2, ensure_ascii=False)
    # what the fast path does not know goes to the standard library, same text
    for other in ({1: "int key"}, {"x": {2.5: "float key"}}, {"n": __import__("numpy").int64(3)}):
        try:
            expected = json.dumps(other, indent=2, ensure_ascii=False)
        except TypeError:
            with pytest.raises(TypeError):
                dumps(other)
        else:
            assert dumps(other) == expected


def test_similarity_csv_is_what_the_csv_module_writes():
    report = SimilarityReport(
        pairs=[
            Pair("ana", "bo", 0.91234),
            Pair("with,comma", 'with"quote', 1.0),
            Pair("ana", "with,comma", 0.0),
            Pair("bo", "with,comma", 0.91234),
        ]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "similarity"])
    for p in report.pairs:
        writer.writerow([p.student_a, p.student_b, f"{p.similarity:.4f}"])
    assert report.to_csv() == out.getvalue()


def test_formats_without_similarity_are_written_while_it_runs(tmp_path):
    batch = Batch("kmeans_scratch", "K-means", ["q1", "q2"], [_result("ana"), _result("bo")])
    seen = {}

    def similarity():
        seen["files"] = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
        batch.similarity = compare(
            {"ana": SOLUTION, "bo": SOLUTION + "\n# mine\n"}, boilerplate=STUB
        )

    assert write_all(batch, tmp_path, similarity=similarity) == []
    before = seen["files"]
    for student in ("ana", "bo"):
        for name in (f"results/{student}.json", f"feedback/{student}.html"):
            assert name in before, name
        assert f"feedback/{student}.md" in before
    assert "gradebook.csv" in before and "report.md" in before
    for late in ("report.html", "similarity.html", "similarity.csv"):
        assert late not in before and (tmp_path / late).is_file(), late
    assert "ana,bo,1.0000" in (tmp_path / "similarity.csv").read_text()
    assert "ana and bo" in (tmp_path / "similarity.html").read_text()


def test_the_files_of_one_student_are_written_whole_and_readable(tmp_path):
    path = tmp_path / "feedback" / "ana.html"
    atomic_write(path, "first", sync=False)
    atomic_write(path, "second", sync=False)
    assert path.read_text() == "second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    assert [p.name for p in path.parent.iterdir()] == ["ana.html"]  # no temporary left


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_a_comparison_gives_comparess_report_and_can_be_stopped():
    sources = {"ana": SOLUTION, "bo": SOLUTION + "\n# mine\n", "stub": STUB}
    pending = Comparison(sources, boilerplate=STUB)
    report = pending.result()
    assert report.to_csv() == compare(sources, boilerplate=STUB).to_csv()
    assert [(p.student_a, p.student_b) for p in report.pairs][0] == ("ana", "bo")
    stopped = Comparison({f"s{i}": SOLUTION + f"# {i}\n" for i in range(300)}, boilerplate=STUB)
    proc = stopped._proc
    assert proc is not None and proc.poll() is None  # pytest hashes with a random seed
    stopped.cancel()
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.returncode is not None
