"""The boundary under attack: forged replies, decoder bombs, echoes of hidden input, budgets.

Every fixture in fixtures/boundary/attacks/ is the toy solution plus one trick. They
are graded in one batch (one worker, the default: a crash of the grader would end
the batch) with an honest classmate, under checks (fixtures/boundary/graders/) that
quote what they got, as careless checks do. For every attack: the batch completes
with all outputs, the honest student's result is what it is when graded alone, the
attacker scores exactly its honest part, the trick is flagged for the teacher, no
digit of the hidden input reaches a student-visible file, and nothing stored per
case is larger than 2 KB.

A worker killer is graded apart, on two workers: only it is blamed.
"""

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.gradebook import Gradebook
from autograder.grading import Grader
from autograder.pool import KILLED_WORKER
from autograder.results import DID_NOT_IMPORT, ERROR
from autograder.runner import HIDDEN_FAILED
from autograder.sandbox.errors import MESSAGE_LIMIT

from .conftest import ENGINE

HERE = Path(__file__).parent / "fixtures" / "boundary"
TIMEOUT, BUDGET = 2, 4  # seconds: per call, and for all calls of one submission
FULL = 6
NOT_DATA = "sent something that is not data"

# attack -> (score of its honest part, flag it leaves, what a hidden double case shows)
EXPECTED = {
    "forged_line": (4, "protocol: the sandbox reported a line number", "double raised ValueError"),
    "forged_wrong_types": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "forged_unhashable_key": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "forged_huge_int": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "forged_deep_nesting": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "bomb_buffer_reuse": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "bomb_tiny_nodes": (4, f"died: double {NOT_DATA}", f"double {NOT_DATA}"),
    "forged_import_reply": (0, f"died: during import ({NOT_DATA})", None),
    "huge_string": (5, "", None),
    "hidden_repr_leak": (4, "", None),
    "library_assert_leak": (4, "", HIDDEN_FAILED),
    "deadline_sleeper": (1, "budget: your code used up", None),
}
HIDDEN_DIGITS = ("271828", "314159", "161803", "141421", "543656", "628318", "323606", "282842")
"""Digits of the hidden input and of twice it: none may reach a student-visible file."""


def boundary():
    return assignment.load("boundary", root=HERE)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("boundary")
    subs, out = root / "submissions", root / "out"
    subs.mkdir()
    for src in (HERE / "attacks").glob("*.py"):
        (subs / src.name).write_bytes(src.read_bytes())
    (subs / "good.py").write_bytes((ENGINE / "submissions" / "good.py").read_bytes())
    started = time.monotonic()
    summary = grade_batch(boundary(), subs, out, timeout=TIMEOUT, budget=BUDGET)
    seconds = time.monotonic() - started
    book = Gradebook(out / "grades.sqlite")
    results = {r.student: r for r in book.results("boundary")}
    book.close()
    alone = Grader(boundary(), timeout=TIMEOUT, budget=BUDGET)
    try:
        good_alone = alone.grade(subs / "good.py", student="good")
    finally:
        alone.close()
    return {"summary": summary, "results": results, "out": out, "alone": good_alone, "s": seconds}


def test_the_suite_has_every_attack():
    assert {p.stem for p in (HERE / "attacks").glob("*.py")} == set(EXPECTED)


def test_the_batch_completes_with_every_output(graded):
    out = graded["out"]
    assert set(graded["results"]) == set(EXPECTED) | {"good"}
    for student in graded["results"]:
        assert (out / "results" / f"{student}.json").is_file()
        assert (out / "feedback" / f"{student}.md").is_file()
    assert len((out / "gradebook.csv").read_text().splitlines()) == len(EXPECTED) + 2
    assert (out / "report.md").is_file()


def test_the_honest_student_keeps_its_exact_result(graded):
    in_batch, alone = graded["results"]["good"], graded["alone"]
    assert in_batch.score == alone.score == FULL
    assert [(c.name, c.status, c.output) for c in in_batch.cases] == [
        (c.name, c.status, c.output) for c in alone.cases
    ]


@pytest.mark.parametrize("attack", sorted(EXPECTED))
def test_each_attack_scores_its_honest_part_and_is_flagged(attack, graded):
    result = graded["results"][attack]
    score, flag, hidden_message = EXPECTED[attack]
    assert result.score == score, [(c.name, c.status, c.output) for c in result.cases]
    if flag:
        assert any(flag in f for f in result.integrity), result.integrity
    if hidden_message is not None:
        hidden = {c.name: c.output for c in result.cases if c.name == "double works on other input"}
        assert hidden == {"double works on other input": hidden_message}


def test_a_forged_import_reply_is_a_failed_import_not_a_crash(graded):
    result = graded["results"]["forged_import_reply"]
    assert result.status == DID_NOT_IMPORT
    assert result.message == f"toy.py {NOT_DATA} while being imported"


def test_hidden_cases_show_only_the_checks_own_words(graded):
    cases = {c.name: c.output for c in graded["results"]["hidden_repr_leak"].cases}
    assert cases["double works on other input"] == (
        "double returned … on other input; expected an array"
    )
    assert cases["double keeps every value in its place"] == (
        "the check could not use what your code returned (KeyError)"
    )
    forged = {c.name: c.output for c in graded["results"]["forged_line"].cases}
    assert forged["double works on other input"] == "double raised ValueError", "no line"


def test_no_hidden_input_reaches_a_student_visible_file(graded):
    out = graded["out"]
    for student, result in graded["results"].items():
        visible = [
            result.message,
            *(c.output for c in result.cases),
            (out / "feedback" / f"{student}.md").read_text(),
            json.dumps(
                [
                    t["output"]
                    for t in json.loads((out / "results" / f"{student}.json").read_text())["tests"]
                ]
            ),
        ]
        for text in visible:
            for digits in HIDDEN_DIGITS:
                assert digits not in text, (student, digits, text[:500])


def _gradescope_outputs(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return [data["output"], *(t["output"] for t in data["tests"])]


def test_nothing_stored_per_case_is_larger_than_the_cap(graded):
    out = graded["out"]
    greeting = {c.name: c.output for c in graded["results"]["huge_string"].cases}
    assert greeting["GREETING is a friendly string"].startswith("GREETING is 'hhhh")
    stored = [c for r in graded["results"].values() for c in r.cases]  # read back from SQLite
    assert max(max(len(c.output), len(c.detail)) for c in stored) <= MESSAGE_LIMIT
    assert (out / "feedback" / "huge_string.md").stat().st_size < 20_000
    assert (out / "results" / "huge_string.json").stat().st_size < 40_000
    assert (out / "grades.sqlite").stat().st_size < 2_000_000


def test_the_time_budget_stops_a_submission_that_sleeps_under_the_deadline(graded):
    result = graded["results"]["deadline_sleeper"]
    lost = [c for c in result.cases if c.score < c.max_score]
    assert {c.output for c in lost} == {
        f"your code used up this submission's time budget of {BUDGET:g} s "
        "(all its calls together), so this check was stopped"
    }
    assert result.seconds < BUDGET + 2 * TIMEOUT, "the budget bounds the whole submission"


# --- a worker killer ------------------------------------------------------------------------
def _ancestor_worker(pid: int) -> int | None:
    """The pool worker (a spawned process) above ``pid``."""
    for _ in range(6):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            pid = int(status.split("PPid:")[1].split()[0])
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except (OSError, IndexError, ValueError):
            return None
    return None


def _killer_children() -> list[int]:
    """Sandbox children grading the worker killer (their module has the marker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:  # a child works in its scratch folder, where its module is
            source = (entry / "cwd" / "toy.py").read_text()
        except (OSError, UnicodeDecodeError):
            continue
        if "WORKER-KILLER-MARKER" in source:
            found.append(int(entry.name))
    return found


def test_a_worker_death_is_blamed_on_the_submission_that_causes_it(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "worker_killer.py").write_bytes((HERE / "killer" / "worker_killer.py").read_bytes())
    for name in ("ann", "bob", "cat"):
        (subs / f"{name}.py").write_bytes((ENGINE / "submissions" / "good.py").read_bytes())
    killed: list[int] = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            for child in _killer_children():
                worker = _ancestor_worker(child)
                if worker and worker not in killed:
                    killed.append(worker)
                    os.kill(worker, signal.SIGKILL)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        summary = grade_batch(boundary(), subs, out, workers=2, timeout=TIMEOUT)
    finally:
        done.set()
        watcher.join()
    book = Gradebook(out / "grades.sqlite")
    results = {r.student: r for r in book.results("boundary")}
    book.close()
    assert len(killed) == 2, "killed in the pool, and again when graded alone"
    killer = results["worker_killer"]
    assert killer.status == ERROR and killer.message == KILLED_WORKER
    assert f"worker: {KILLED_WORKER}" in killer.integrity
    for name in ("ann", "bob", "cat"):
        assert results[name].status == "graded" and results[name].score == FULL, name
        assert not any("worker" in f for f in results[name].integrity)
    assert any("worker_killer: stopped its grading process twice" in p for p in summary.problems)
