"""Load otter exception-based test files once and expose their cases.

A test file is executed once per grading process (like ``otter`` does, but with
``__file__`` set) and its cases are reused for every submission, so module-level
``functools.cache`` reference computations are paid once per batch.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.lazy_otter import defer_otter_api

defer_otter_api()  # test_case and TestFile without otter's API (nbconvert, pandas): 0.6-1 s

from otter.test_files.abstract_test import TestFile  # noqa: E402
from otter.test_files.exception_test import test_case  # noqa: E402


def shared_module(path: Path) -> ModuleType:
    """The grader module at ``path`` (``support/_shared.py``, ``graderkit.py``), executed
    once per process under the key the question files load it by (``clusterlab:<path>``),
    so the engine and the question files share one instance and its memo."""
    path = Path(path).resolve()
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(:[^:.]+)?")
"""A dependency on a student call: ``function`` or ``function:memo key``."""


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
    function: str = ""
    """The test function's name (what ``DEPENDS`` tables refer to)."""
    depends: tuple[str, ...] = ()
    """What it relies on (the file's ``DEPENDS`` entry): student functions (``fit_kmeans``
    for its call memoised under ``"default"``, ``fit_kmeans:key`` for another memoised
    call), and cases as ``function`` (same file) or ``question.function``."""


@dataclass(frozen=True)
class Question:
    """One otter test file."""

    name: str
    path: Path
    cases: tuple[Case, ...]
    hidden_points: float = 0.0
    """Points of hidden cases not loaded (``public_only``, or stripped from a public copy)."""

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
    depends = _depends_table(env, path, {tc.test_func.__name__ for tc in found})
    cases = tuple(
        Case(
            question=env["name"],
            name=r.name,
            points=float(r.points),
            hidden=bool(r.hidden),
            func=tc.test_func,
            params=tuple(inspect.signature(tc.test_func).parameters),
            function=tc.test_func.__name__,
            depends=tuple(
                d if "." in d or d not in depends["_cases"] else f"{env['name']}.{d}"
                for d in depends.get(tc.test_func.__name__, ())
            ),
        )
        for tc, r in zip(found, resolved, strict=True)
        if not (public_only and r.hidden)
    )
    stripped = sum(float(r.points) for r in resolved if public_only and r.hidden)
    hidden_points = stripped + float(env.get("hidden_points", 0) or 0)
    return Question(name=env["name"], path=path, cases=cases, hidden_points=hidden_points)


def _depends_table(env: dict, path: Path, functions: set[str]) -> dict:
    """The file's ``DEPENDS`` table, checked: keys are its cases, values lists of names.

    Otter ignores the table (it is a plain module constant); ClusterLab's runner reports a
    case whose dependency failed as *not run* with that reason.
    """
    table = env.get("DEPENDS", {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: DEPENDS must be a dict of case function -> list of names")
    out: dict = {"_cases": functions}
    for case, deps in table.items():
        if case not in functions:
            if "hidden_points" in env:
                continue  # a public copy: the hidden case it names was stripped
            raise ValueError(f"{path}: DEPENDS names {case!r}, which is not a case of this file")
        if isinstance(deps, str) or not all(isinstance(d, str) for d in deps):
            raise ValueError(f"{path}: DEPENDS[{case!r}] must be a list of names")
        if case in deps:
            raise ValueError(f"{path}: DEPENDS[{case!r}] names the case itself")
        for dep in deps:
            if "." not in dep and dep not in functions and not _CALL.fullmatch(dep):
                raise ValueError(
                    f"{path}: DEPENDS[{case!r}] names {dep!r}: expected a case, a student "
                    "function (its default memoised call) or `function:key` (the call "
                    "memoised under key)"
                )
        out[case] = tuple(deps)
    return out


def load_questions(paths: list[Path], *, public_only: bool = False) -> list[Question]:
    """Load every file; a dependency on a case must name a case that runs before it."""
    questions = [load_question(p, public_only=public_only) for p in paths]
    order = sorted((c for q in questions for c in q.cases), key=lambda c: c.hidden)
    before: set[str] = set()
    every = {f"{c.question}.{c.function}" for q in questions for c in q.cases}
    for case in order:
        for dep in case.depends:
            if "." in dep and dep not in before:
                if dep not in every and public_only:
                    continue  # a hidden case of a public copy: never runs here
                raise ValueError(
                    f"{case.question}: DEPENDS of {case.function} names {dep}, which does not "
                    "run before it (public cases run first, then hidden ones, in file order)"
                )
        before.add(f"{case.question}.{case.function}")
    return questions
