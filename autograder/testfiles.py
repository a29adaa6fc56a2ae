"""Load otter exception-based test files once and expose their cases.

A test file is executed once per grading process (like ``otter`` does, but with
``__file__`` set) and its cases are reused for every submission, so module-level
``functools.cache`` reference computations are paid once per batch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from otter.test_files.abstract_test import TestFile
from otter.test_files.exception_test import test_case


@dataclass(frozen=True)
class Case:
    """One test case of a question."""

    question: str
    """The question (test file) name, e.g. ``q1_fit_kmeans``."""
    name: str
    """The title the student reads."""
    points: float
    """Points for passing."""
    hidden: bool
    """Hidden from students until grades are published."""
    func: Callable[..., None]
    """The test function."""
    params: tuple[str, ...]
    """Its parameter names: student names, or ``env``."""


@dataclass(frozen=True)
class Question:
    """One otter test file."""

    name: str
    path: Path
    cases: tuple[Case, ...]

    @property
    def points(self) -> float:
        return sum(c.points for c in self.cases)


def load_question(path: Path, *, public_only: bool = False) -> Question:
    """Execute a test file and collect its cases (points resolved as otter does)."""
    source = path.read_text()
    env: dict = {"__file__": str(path), "__name__": f"clusterlab_tests.{path.stem}"}
    exec(compile(source, str(path), "exec"), env)
    if "name" not in env:
        raise ValueError(f"test file {path} does not define 'name'")
    found = [v for v in env.values() if isinstance(v, test_case)]
    for i, tc in enumerate(found, 1):
        if tc.name is None:
            tc.name = f"{env['name']} - {i}"
    resolved = TestFile.resolve_test_file_points(
        env.get("points"), [tc.to_dataclass() for tc in found]
    )
    cases = tuple(
        Case(
            question=env["name"],
            name=r.name,
            points=float(r.points),
            hidden=bool(r.hidden),
            func=tc.test_func,
            params=tuple(inspect.signature(tc.test_func).parameters),
        )
        for tc, r in zip(found, resolved, strict=True)
        if not (public_only and r.hidden)
    )
    return Question(name=env["name"], path=path, cases=cases)


def load_questions(paths: list[Path], *, public_only: bool = False) -> list[Question]:
    return [load_question(p, public_only=public_only) for p in paths]
