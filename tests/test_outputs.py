"""A batch's outputs, written fast: the same files as before, in the same order of safety.

The writers that never show similarity are written while the similarity check runs;
results/*.json are the standard library's indented JSON, byte for byte; similarity.csv is
what the csv module writes; a similarity check that is not waited for is stopped.
"""

import csv
import io
import json
import os
import signal
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


def _started(sources=None) -> Comparison:
    comparison = Comparison(boilerplate=STUB)
    if sources is not None:
        comparison.send(sources)
    return comparison


def test_a_comparison_gives_compares_report_and_can_be_stopped():
    sources = {"ana": SOLUTION, "bo": SOLUTION + "\n# mine\n", "stub": STUB}
    report = _started(sources).result()
    assert report.to_csv() == compare(sources, boilerplate=STUB).to_csv()
    assert [(p.student_a, p.student_b) for p in report.pairs][0] == ("ana", "bo")
    stopped = _started({f"s{i}": SOLUTION + f"# {i}\n" for i in range(300)})
    proc = stopped._proc
    assert proc is not None and proc.poll() is None  # pytest hashes with a random seed
    stopped.cancel()
    assert proc.returncode is not None and not stopped.running()


def test_files_lexed_while_grading_give_the_same_report(tmp_path):
    """Files added as they are graded (one changed afterwards, one a FIFO that must never be
    read, one missing), then compared as they are at the end."""
    sources = {"ana": SOLUTION, "bo": SOLUTION.replace("centroids", "centres"), "stub": STUB}
    comparison = _started()
    for name, code in sources.items():
        (tmp_path / f"{name}.py").write_text(code + "# first version\n")
        comparison.add(tmp_path / f"{name}.py")
    os.mkfifo(tmp_path / "fifo.py")
    comparison.add(tmp_path / "fifo.py")
    comparison.add(tmp_path / "missing.py")
    sources["bo"] = SOLUTION + "\n# changed after grading\n"
    comparison.send(sources)
    start = time.monotonic()
    report = comparison.result()
    assert time.monotonic() - start < 60
    assert report.to_csv() == compare(sources, boilerplate=STUB).to_csv()
    assert report.pairs[0].similarity == 1.0 and report.pairs[0].html_a


def test_a_ctrl_c_of_the_batch_does_not_stop_the_check():
    comparison = _started()
    assert comparison.running()
    status = Path(f"/proc/{comparison._proc.pid}/status")
    deadline = time.monotonic() + 60
    while not _ignores_sigint(status) and time.monotonic() < deadline:
        time.sleep(0.05)  # the child is starting
    comparison._proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    assert comparison.running()
    comparison.send({"ana": SOLUTION, "bo": SOLUTION})
    assert comparison.result().pairs[0].similarity == 1.0


def _ignores_sigint(status: Path) -> bool:
    for line in status.read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False
