"""Sandbox basics: hostile or broken submissions get an honest score, the batch goes on."""

import os
from pathlib import Path

from autograder import assignment
from autograder.grading import Grader
from autograder.results import DID_NOT_IMPORT, FAILED, GRADED, NOT_RUN, PASSED, UNREADABLE

from .conftest import ENGINE


def outcome(result):
    return {c.name: c.status for c in result.cases}


DOUBLE, HIDDEN, FIT, GREETING = (
    "double returns twice its input",
    "double works on other input",
    "fit returns a model that predicts",
    "GREETING is a friendly string",
)


def test_good_submission_scores_full_marks(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("good"))
    assert result.status == GRADED
    assert result.score == result.max_score == 5
    assert not result.warnings, "Landlock, seccomp and a network namespace work on this kernel"


def test_syntax_error_is_one_message_and_nothing_runs(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("syntax_error"))
    assert result.status == DID_NOT_IMPORT and result.score == 0
    assert "SyntaxError" in result.message and "line 2" in result.message
    assert set(outcome(result).values()) == {NOT_RUN}
    assert all(c.output == "toy.py did not import" for c in result.cases)


def test_exception_and_sys_exit_at_import(toy_grader, toy_submission):
    raised = toy_grader.grade(toy_submission("raises_at_import"))
    assert raised.status == DID_NOT_IMPORT and "FileNotFoundError" in raised.message
    exited = toy_grader.grade(toy_submission("exit_at_import"))
    assert exited.status == DID_NOT_IMPORT
    assert exited.message == "toy.py called sys.exit() while being imported"


def test_endless_loop_at_import_is_stopped(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("endless_import"))
    assert result.status == DID_NOT_IMPORT
    assert result.message == "toy.py was stopped after 6 s while being imported"


def test_os_exit_in_a_call_fails_that_case_only(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("os_exit_in_call"))
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].status == FAILED
    assert got[DOUBLE].output == "double ended the sandbox process (exit code 0)"
    assert got[FIT].output == "fit raised ValueError: not done yet (line 7 of your file)"
    assert got[GREETING].status == PASSED, "a fresh child serves the cases after a crash"
    assert result.score == 1
    assert any("ended the sandbox process" in e for e in result.integrity)


def test_endless_loop_in_a_call_is_stopped_and_not_called_again(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("endless_loop"))
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].output == "double was stopped after 2 s"
    assert got[HIDDEN].status == NOT_RUN and "double was stopped earlier" in got[HIDDEN].output
    assert got[FIT].output == "fit was stopped after 2 s"
    assert got[GREETING].status == PASSED
    assert result.score == 1 and result.seconds < 10


def test_memory_hog_gets_memory_error(toy_submission):
    # touching a gigabyte can take seconds on a virtual machine: a roomier deadline
    grader = Grader(assignment.load("toy", root=ENGINE), timeout=30)
    try:
        result = grader.grade(toy_submission("memory_hog"))
    finally:
        grader.close()
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].output.startswith("double raised MemoryError")
    assert got[FIT].output.startswith("fit raised MemoryError")
    assert got[HIDDEN].output == "double raised MemoryError", (
        "hidden cases show the built-in exception's name, never its text or a line the "
        "child reports (a forged line number could carry a hidden input)"
    )
    assert result.score == 1


def test_rigged_eq_objects_arrive_as_plain_data(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("rigged_eq"))
    got = {c.name: c for c in result.cases}
    assert got[GREETING].output == "GREETING is 'goodbye'; expected 'hello'"
    assert got[DOUBLE].status == FAILED and got[HIDDEN].status == FAILED
    assert got[FIT].status == PASSED, "its model does answer these inputs correctly"
    assert result.score == 2


def test_fake_results_printed_to_stdout_change_nothing(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("fake_output"))
    assert result.score == 1
    assert '"score": 100' in result.output, "the output is kept for the teacher"
    assert all('"score"' not in c.output for c in result.cases)


def test_files_network_processes_signals_and_env_are_off_limits(toy_grader, toy_submission):
    os.environ["CLUSTERLAB_TEST_SECRET"] = "s3cret"
    escape = Path("/tmp/clusterlab_escape")
    escape.unlink(missing_ok=True)
    try:
        result = toy_grader.grade(toy_submission("hostile_io"))
        env = toy_grader.grade(toy_submission("reads_env"))
    finally:
        del os.environ["CLUSTERLAB_TEST_SECRET"]
    message = {c.name: c for c in result.cases}[DOUBLE].output
    verdicts = message.split(": ", 1)[1].split(" [")[0].split()
    # solutions, graders, /etc/passwd, /root, TCP, subprocess, kill(1), /tmp
    assert verdicts[:8] == ["PermissionError"] * 8, message
    assert not escape.exists()
    env_message = {c.name: c for c in env.cases}[DOUBLE].output
    assert "CLUSTERLAB_TEST_SECRET" not in env_message
    assert "HOME" in env_message


def test_scratch_folder_is_writable_and_removed_afterwards(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("where_am_i"))
    message = {c.name: c for c in result.cases}[DOUBLE].output
    cwd = message.split("cwd=")[1].split(" (line")[0]
    assert cwd.startswith("/") and "clusterlab-sandbox-" in cwd
    assert not Path(cwd).exists()


def test_unreadable_files_get_a_reason(toy_grader, tmp_path):
    notebook = tmp_path / "nb.py"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4}')
    junk = tmp_path / "junk.py"
    junk.write_bytes(bytes(range(256)) * 4)
    link = tmp_path / "link.py"
    link.symlink_to("/etc/passwd")
    nb = toy_grader.grade(notebook)
    assert nb.status == UNREADABLE and "Jupyter notebook" in nb.message
    bad = toy_grader.grade(junk)
    assert bad.status == DID_NOT_IMPORT and bad.score == 0
    linked = toy_grader.grade(link)
    assert linked.status == UNREADABLE and "symbolic link" in linked.message
    empty = tmp_path / "empty.py"
    empty.write_text("")
    res = toy_grader.grade(empty)
    assert res.score == 0 and all("has no function" in c.output for c in res.cases)
