"""Run the cases of an assignment against one submission's bindings.

The runner judges; it does not render. Its rules, in order, for each case:

1. the module did not import: *not run*, with that reason (said once at the top);
2. a parameter names something the module does not define: *not run*;
3. a parameter names a function that ran out of time earlier: *not run*
   (calling it again would only cost another time-out);
4. something the case relies on (its question file's ``DEPENDS`` entry) failed
   earlier: *not run*, "because fit_kmeans failed" or because a named case did not
   pass; the failure is explained once, where it happened. A student function named
   there stands for its *memoised* call (``shared.KIT.memo``): ``fit_kmeans`` for the
   one under the key ``"default"``, ``fit_kmeans:subset`` for the one under
   ``"subset"``; it failed when that call raised, ran out of time or crashed. Other
   calls of the function (a hidden case's odd input) fail only their own case;
5. otherwise the case runs: ``AssertionError`` fails it with its message (a
   ``hint:`` line, and the ``hint``/``expected``/``actual`` of a ``Failed``, become
   fields of the result); a student exception, time-out or crash fails it with a
   message the student can act on; a check that failed on the None a student call
   returned (Python's "'NoneType' object has no attribute ...", or the check's own
   "has no attribute" naming that call) says "fit_kmeans returned None" with a hint
   (``graderkit.none_failure``: the same words in pytest), in hidden cases too, since
   it names only what the check called;
6. the submission used up its time budget: *failed*, with that reason.

A hidden case shows nothing the student's code chose, which it could use to echo
a hidden input: no exception text, class name, line number or exit code, no
expected/actual values, and of an assertion message only the check's own words
(:func:`autograder.redact.own_words`). Messages and details are capped at
:data:`~autograder.sandbox.errors.MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import functools
import os
import re
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from autograder.redact import is_own_text, own_words
from autograder.results import FAILED, NOT_RUN, PASSED, CaseResult
from autograder.sandbox.errors import (
    MESSAGE_LIMIT,
    BudgetExceeded,
    CallTimeout,
    SandboxError,
    StudentError,
    cap,
    message,
)
from autograder.testfiles import Case, Question, shared_module

HIDDEN_FAILED = "this check failed on input you do not see"
"""A hidden case's message when its assertion's words are not literal text of the check."""


class Bindings(Protocol):
    """Where a case's parameters come from (a sandbox session, or a module in-process)."""

    names: dict[str, str]

    def binding(self, name: str) -> Any: ...


class _LazyEnv(dict):
    """Otter's ``env`` parameter: the module's globals plus ``__source__``, fetched on use.

    A case that reads ``env["__source__"]`` does not pull every global across the
    sandbox boundary.
    """

    def __init__(self, runner: CaseRunner):
        super().__init__()
        self._runner = runner
        self._names = {*runner.bindings.names, "__source__"}
        if callable(getattr(runner.bindings, "fresh_child", None)):
            self._names.add("__restart__")
        if callable(getattr(runner.bindings, "reimport", None)):
            self._names.add("__reimport__")

    def __getitem__(self, key: str) -> Any:
        if key not in self._names:
            raise KeyError(key)
        if not dict.__contains__(self, key):
            if key == "__restart__":  # a determinism check in a fresh process (the last case)
                value = self._runner.bindings.fresh_child
            elif key == "__reimport__":  # the same across imports, in the same process
                value = self._runner.bindings.reimport
            elif key == "__source__":
                value = self._runner.source
            else:
                value = self._runner._value(key)
            dict.__setitem__(self, key, value)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._names else default

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def keys(self):
        return set(self._names)

    def __iter__(self):
        return iter(sorted(self._names))

    def __len__(self) -> int:
        return len(self._names)


class CaseRunner:
    """Runs cases for one submission, remembering what failed for the rules above."""

    def __init__(
        self,
        bindings: Bindings | None,
        *,
        module: str,
        source: str = "",
        import_error: str | None = None,
    ):
        self.bindings = bindings
        self.module = module
        self.source = source
        self.import_error = import_error
        self.timed_out: dict[str, str] = {}
        self.out_of_budget: str | None = None
        """Why the remaining cases fail, once the submission used up its time budget."""
        self.failed_calls: set[tuple[str, str]] = set()
        """``(function, memo key)`` of the memoised student calls that raised, ran out of
        time or crashed (what a ``DEPENDS`` entry naming a function refers to)."""
        self.outcomes: dict[str, CaseResult] = {}
        """``question.function`` -> result of every case run so far."""
        self._values: dict[str, Any] = {}

    def _value(self, name: str) -> Any:
        if name == "env":
            return _LazyEnv(self)
        if name not in self._values or self.bindings.names.get(name) != "callable":
            self._values[name] = self.bindings.binding(name)
        return self._values[name]

    def skip_reason(self, case: Case) -> str | None:
        if self.import_error is not None:
            return f"{self.module}.py did not import"
        for p in case.params:
            if p != "env" and p not in self.bindings.names:
                return f"{self.module}.py has no function or variable `{p}`"
        for p in case.params:
            if p in self.timed_out:
                return f"{p} was stopped earlier ({self.timed_out[p]})"
        for dep in case.depends:
            if "." in dep:
                done = self.outcomes.get(dep)
                if done is not None and done.status != PASSED:
                    return f"the check “{done.name}” did not pass"
            else:
                function, _, key = dep.partition(":")
                if (function, key or DEFAULT_CALL) in self.failed_calls:
                    return f"{function} failed"
        return None

    def _record(self, case: Case, result: CaseResult) -> CaseResult:
        self.outcomes[f"{case.question}.{case.function}"] = result
        return result

    def run(self, case: Case) -> CaseResult:
        result = CaseResult(
            question=case.question,
            name=case.name,
            score=0.0,
            max_score=case.points,
            status=FAILED,
            hidden=case.hidden,
        )
        reason = self.skip_reason(case)
        if reason is not None:
            result.status, result.output = NOT_RUN, reason
            return self._record(case, result)
        if self.out_of_budget is not None:
            result.output = self.out_of_budget
            return self._record(case, result)
        start = time.perf_counter()
        try:
            kwargs = {p: self._value(p) for p in case.params}
            case.func(**kwargs)
        except AssertionError as exc:
            none_from = self._returned_none(exc)
            if none_from is not None:  # a forgotten `return`: names only what the check called
                fill_failure(result, none_from)
            elif case.hidden:
                _fill_hidden_failure(result, exc, case)
            else:
                fill_failure(result, exc)
            if getattr(exc, "not_judged", False):  # graderkit.NotJudged: nothing to judge
                result.status = NOT_RUN
        except StudentError as exc:
            self._function_failed(exc)
            result.output = message(exc, hidden=case.hidden)
            result.detail = exc.detail
        except SandboxError as exc:  # hidden cases: nothing the student's code controls
            if isinstance(exc, CallTimeout):
                self.timed_out[exc.function] = f"stopped after {exc.seconds:g} s"
            if isinstance(exc, BudgetExceeded):
                self.out_of_budget = message(exc)
            self._function_failed(exc)
            result.output = message(exc, hidden=case.hidden)
            result.detail = exc.detail
        except Exception as exc:  # the grader could not use what the student returned
            none_from = self._returned_none(exc)
            if none_from is not None:
                fill_failure(result, none_from)
            elif case.hidden:
                result.output = (
                    f"the check could not use what your code returned ({type(exc).__name__})"
                )
            else:
                first = (str(exc).strip().splitlines() or [""])[0][:200]
                result.output = (
                    "the check could not use what your code returned: "
                    f"{type(exc).__name__}: {first}"
                )
            result.detail = traceback.format_exc(limit=-6)
        else:
            result.status, result.score = PASSED, case.points
        result.output = cap(result.output)
        if len(result.detail) > MESSAGE_LIMIT:  # a traceback: its end says the most
            result.detail = "…" + result.detail[-(MESSAGE_LIMIT - 1) :]
        result.seconds = time.perf_counter() - start
        return self._record(case, result)

    def _returned_none(self, exc: Exception) -> AssertionError | None:
        """graderkit's "fit_kmeans returned None" failure when the check failed on None
        that a call into the student's code returned (a forgotten ``return``)."""
        labels = getattr(self.bindings, "returned_none", None)
        return graderkit().none_failure(exc, labels) if labels else None

    def _function_failed(self, exc: SandboxError) -> None:
        """Remember a memoised student call that failed (graderkit's ``Memo`` marks the
        exception with the call); a call made outside the memo fails its own case only."""
        call = getattr(exc, MEMO_CALL, None)
        if (
            isinstance(call, tuple)
            and len(call) == 2
            and all(isinstance(part, str) for part in call)
            and _IDENTIFIER.fullmatch(call[0])
        ):
            self.failed_calls.add(call)


def graderkit() -> Any:
    """``graders/graderkit.py``, the instance the assignments' ``support/_shared.py`` load."""
    from autograder.assignment import GRADERS_DIR

    return shared_module(GRADERS_DIR / "graderkit.py")


MEMO_CALL = "clusterlab_memo_call"
"""Attribute graderkit's ``Memo`` sets on an exception of a memoised call (graderkit is
loaded by path, never imported, so the name is repeated; tests/test_graderkit.py keeps the
two equal)."""
DEFAULT_CALL = "default"
"""The memo key a ``DEPENDS`` entry naming a bare function refers to."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FIELD_CAP = 500
"""Longest hint, expected or actual value kept (characters)."""


def _fill_hidden_failure(result: CaseResult, exc: AssertionError, case: Case) -> None:
    """A hidden case's failure: the check's own words (hint included), no expected/actual."""
    check_file = case.func.__code__.co_filename
    if isinstance(getattr(exc, "message", None), str):  # a Failed: its fields, if own words
        fill_failure(result, exc)
        # the words may come from the check's file and its assignment's shared helpers
        files = [check_file, *_support_files(os.path.dirname(check_file))]
        result.output = result.output if is_own_text(result.output, *files) else HIDDEN_FAILED
        result.hint = result.hint if is_own_text(result.hint, *files) else ""
    else:
        words = own_words(exc, os.path.dirname(check_file))
        fill_failure(result, AssertionError(words or HIDDEN_FAILED))
    result.expected = result.actual = ""


@functools.cache
def _support_files(check_dir: str) -> tuple[str, ...]:
    """The shared helper modules next to an assignment's check files (``support/*.py``)."""
    return tuple(sorted(str(p) for p in Path(check_dir, "support").glob("*.py")))


def fill_failure(result: CaseResult, exc: AssertionError) -> None:
    """Message, hint, expected and actual of a failed check, as fields of ``result``.

    A ``Failed`` (graderkit) carries them as attributes; a plain ``AssertionError`` has
    its last ``hint:`` line taken out of the message into ``hint``.
    """
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        result.output = message.strip() or "this check failed"
        result.hint = str(getattr(exc, "hint", "") or "")[:FIELD_CAP]
        result.expected = str(getattr(exc, "expected", "") or "")[:FIELD_CAP]
        result.actual = str(getattr(exc, "actual", "") or "")[:FIELD_CAP]
        return
    lines = str(exc).strip().splitlines()
    hints = [i for i, line in enumerate(lines) if line.strip().startswith("hint:")]
    if hints:
        i = hints[-1]
        result.hint = lines[i].strip()[len("hint:") :].strip()[:FIELD_CAP]
        lines = lines[:i] + lines[i + 1 :]
    result.output = "\n".join(lines).strip() or "this check failed"


def run_questions(questions: Iterable[Question], runner: CaseRunner) -> list[CaseResult]:
    """Run every case; results come back in file order.

    All public cases run before any hidden case: a hidden input never reaches
    the child before the last public case has run, so student code cannot stash
    it and echo it in a public case's message.
    """
    cases = [case for q in questions for case in q.cases]
    results: list[CaseResult | None] = [None] * len(cases)
    for i in sorted(range(len(cases)), key=lambda i: cases[i].hidden):  # stable: public first
        results[i] = runner.run(cases[i])
    return results
