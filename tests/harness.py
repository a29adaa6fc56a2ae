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
