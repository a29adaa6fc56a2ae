"""What the grader tests of every assignment share.

A broken fixture is the reference solution with one exact replacement (so a
refactor of the solution cannot silently disarm it), and a result must lose
exactly the expected cases, each with a message that names the problem, with no
hidden detail in a hidden case's message.
"""

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_module(path: Path, name: str):
    """Import a file as a module of the given name (stubs, solutions, grader files)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def patched(solution: Path, entry: dict, tmp_path: Path, module: str) -> Path:
    """The solution with the entry's one replacement, written as the student module."""
    source = solution.read_text()
    assert source.count(entry["old"]) == 1, (
        f"{entry.get('id', entry['old'][:40])}: the text to replace must occur exactly once "
        "in the solution"
    )
    path = tmp_path / f"{module}.py"
    path.write_text(source.replace(entry["old"], entry["new"]))
    return path


def lost_cases(result) -> dict[str, str]:
    """Title -> student message (with its expected, actual and hint fields) of every case
    that did not earn full points."""
    return {c.name: c.text() for c in result.cases if c.score < c.max_score}


def assert_loses_exactly(
    result, expected: dict[str, str], leaks: re.Pattern | Callable[[str], bool] | None = None
) -> None:
    """``result`` loses exactly the ``expected`` cases (title -> message substring).

    ``leaks`` recognises hidden details (a pattern, or a predicate on the text) that
    no failed hidden case may show.
    """
    assert result.status == "graded", result.message
    lost = lost_cases(result)
    assert set(lost) == set(expected), (
        f"lost unexpectedly: {sorted(set(lost) - set(expected))}; "
        f"passed unexpectedly: {sorted(set(expected) - set(lost))}"
    )
    for title, substring in expected.items():
        assert substring in lost[title], f"{title!r}: {substring!r} not in {lost[title]!r}"
    if leaks is None:
        return
    shows = leaks.search if isinstance(leaks, re.Pattern) else leaks
    for case in result.cases:
        if case.hidden and case.score < case.max_score:
            assert not shows(case.text()), f"{case.name!r}: {case.text()!r}"


def appended(solution: Path, entry: dict, tmp_path: Path, module: str) -> Path:
    """The solution with the entry's ``append`` text at the end, written as the student module.

    Definitions appended replace the solution's functions of the same name: that is how a
    degenerate fixture (every helper a constant, a one-cluster fit) is made.
    """
    path = tmp_path / f"{module}.py"
    path.write_text(solution.read_text() + "\n\n" + entry["append"])
    return path


def assert_earns_only(result, kept: list[str]) -> None:
    """A degenerate submission earns the ``kept`` cases (shape checks) and nothing else."""
    assert result.status == "graded", result.message
    earned = {c.name for c in result.cases if c.score > 0}
    titles = {c.name for c in result.cases}
    assert set(kept) <= titles, f"not cases of the graders: {sorted(set(kept) - titles)}"
    assert earned == set(kept), (
        f"earned although degenerate: {sorted(earned - set(kept))}; "
        f"lost although a shape check: {sorted(set(kept) - earned)}"
    )


def reached_by(source: str, old: str) -> set[str]:
    """The top-level name whose definition contains ``old`` and every function that uses it.

    A bug patched into ``fit_kmeans`` reaches ``fit_kmeans`` and, through the student's
    own calls, every function of the module that calls it (directly or not).
    """
    import ast

    tree = ast.parse(source)
    line = source[: source.index(old)].count("\n") + 1
    defined: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    defined[target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                defined[(alias.asname or alias.name).split(".")[0]] = node
    hit = {
        name
        for name, node in defined.items()
        if node.lineno <= line <= (node.end_lineno or node.lineno)
    }
    assert hit, f"{old[:40]!r} is not inside a top-level definition of the solution"
    uses = {
        name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name, node in defined.items()
    }
    reached = set(hit)
    while True:
        more = {name for name, used in uses.items() if used & reached} - reached
        if not more:
            return reached
        reached |= more


def off_property_losses(result, params: dict[str, tuple[str, ...]], reached: set[str]) -> list[str]:
    """Lost cases that call none of the functions a bug reaches: cascades of one mistake.

    ``params`` maps each case title to its parameters (the student names it is given).
    """
    return sorted(
        c.name for c in result.cases if c.score < c.max_score and not set(params[c.name]) & reached
    )


def case_parameters(assignment_name: str) -> dict[str, tuple[str, ...]]:
    """Title -> parameter names of every case of an assignment's graders."""
    from autograder import assignment
    from autograder.testfiles import load_questions

    questions = load_questions(assignment.load(assignment_name).grader_files())
    return {c.name: c.params for q in questions for c in q.cases}


def assert_no_cascade(result, params: dict[str, tuple[str, ...]], source: str, old: str) -> None:
    """A one-place bug loses only cases given a function the bug reaches (see reached_by)."""
    reached = reached_by(source, old)
    cascade = off_property_losses(result, params, reached)
    assert not cascade, (
        f"a bug in {sorted(reached)} also lost cases that call none of them: {cascade}"
    )
