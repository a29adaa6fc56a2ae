"""What the graders of every assignment share: failures with fields, a per-submission memo,
and the guard that keeps the test files safe to run under otter.

This file travels with the question files: ``clusterlab sync`` copies it into the student
bundle's ``tests/`` and ``clusterlab export`` into the otter zip, next to each
assignment's ``_shared.py``, which loads it by path. It needs the standard library only
(graders run under plain otter, where ``autograder`` is not installed).

- :class:`Failed` is an ``AssertionError`` whose hint, expected and actual values are
  fields; ClusterLab's runner reads them, otter and pytest show ``str()``: the whole text.
- :class:`Memo` remembers a student call's result (or exception) once per submission, in
  every question file at once: ClusterLab binds one proxy per student function per
  submission, otter and pytest one real function per process.
- :class:`Kit` is one assignment's settings (module name, per-call timeout, the functions
  of the student API). Under ``otter check`` / ``otter run`` (the submission runs in a
  Jupyter kernel in grading mode) it wraps the student's functions in the kernel's
  namespace so that a call that runs past the timeout fails its case and grading goes on,
  a function that ran out of time is not called again, and a module that did not import
  gives one clear message instead of ``'NoneType' object is not callable``. There it also
  ends ``otter check``'s output with the hidden points still to come (:class:`PointsLine`).
"""

from __future__ import annotations

import atexit
import functools
import re
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

HINT = "hint: "
POINTS_LINE = (
    "public checks: {earned:g}/{possible:g} points; "
    "{hidden:g} more points are checked when your teacher grades"
)
"""The announcement every student-facing run ends with (``check``, pytest, ``otter check``);
the same words as ``autograder.results.hidden_points_line``."""


class Failed(AssertionError):
    """A check failed. ``message`` states the data; ``hint`` is one suggestion.

    ``expected`` and ``actual`` are short renderings of the values compared (e.g. a
    shape); leave them empty in hidden cases whose values would show hidden inputs.
    """

    def __init__(self, message: str, *, hint: str = "", expected: Any = "", actual: Any = ""):
        self.message = str(message)
        self.hint = str(hint)
        self.expected = "" if expected is None else str(expected)
        self.actual = "" if actual is None else str(actual)
        lines = [self.message]
        if self.expected:
            lines.append(f"expected: {self.expected}")
        if self.actual:
            lines.append(f"yours:    {self.actual}")
        if self.hint:
            lines.append(HINT + self.hint)
        super().__init__("\n".join(lines))


class NotJudged(Failed):
    """A check that cannot be judged on what the student returned (one cluster, all-zero
    centres): ClusterLab reports it *not run* with the reason; it earns nothing."""

    not_judged = True


def not_judged(reason: str) -> None:
    """Stop a check that would pass vacuously: ``reason`` says what it needs."""
    raise NotJudged(reason)


def check(condition: Any, message: str, **fields: Any) -> None:
    """Raise :class:`Failed` (message and fields) unless ``condition`` holds."""
    if not condition:
        raise Failed(message, **fields)


def returned_none_failure(function: str) -> Failed:
    """The failure of a check that could not use what ``function`` returned: None.

    A forgotten ``return`` leaves a function returning None, and the check then fails
    reading an attribute or an item of it; this says so instead of Python's words
    ("'NoneType' object has no attribute 'cluster_centers_'"). ``function`` is the
    name the check called (never a value), so the message suits hidden cases too.
    """
    return Failed(
        f"{function} returned None",
        hint=f"did you forget `return ...` at the end of {function}?",
    )


def is_none_error(error: BaseException) -> bool:
    """True for Python's error on using None as a value (attribute, item, len, maths)."""
    return isinstance(error, (AttributeError, TypeError, ValueError)) and "NoneType" in str(error)


NONE_SIGNS = ("has no attribute", "NoneType", "returned None", "shape ()")
"""What a check's message says of a None it was given (``np.asarray(None)`` has shape ())."""


def none_failure(error: BaseException, returned_none: list[str]) -> Failed | None:
    """:func:`returned_none` for a check that failed because a student call returned None.

    ``returned_none`` names the calls that returned None, the most recent last. The check
    failed on None when ``error`` is Python's error on using None, or the check's own
    message naming one of those calls with a sign of None (:data:`NONE_SIGNS`: ``the
    object fit_kmeans returned has no attribute `cluster_centers_```, ``assign_clusters
    returned shape (); expected (150,)``). Else None: the failure stands as it is.
    """
    if not returned_none:
        return None
    if isinstance(error, AssertionError):
        text = str(error)
        if any(sign in text for sign in NONE_SIGNS):
            for name in reversed(returned_none):
                if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text):
                    return returned_none_failure(name)
        return None
    return returned_none_failure(returned_none[-1]) if is_none_error(error) else None


class Stopped(Exception):
    """A student call ran past the timeout (under otter and pytest; the sandbox has its own)."""


def _unwrap(function: Any) -> Any:
    return getattr(function, "__clusterlab_guarded__", function)


MEMO_CALL = "clusterlab_memo_call"
"""Attribute of an exception raised by a memoised call: ``(function name, key)``. ClusterLab's
runner reads it to tell which call a ``DEPENDS`` entry names failed (``"fit_kmeans"`` is
the call memoised under ``"default"``, ``"fit_kmeans:subset"`` the one under
``"subset"``); otter and pytest never look at it."""


class Memo:
    """Results of student calls, kept once per submission.

    ``memo.call("default", fit_kmeans, X, n_clusters=10)`` calls the student's function
    the first time and returns the same result (or raises the same exception) every
    later time, from any question file. Entries go when the student function goes (a
    weak reference): one submission's results never reach the next. An exception is
    marked with the call it came from (:data:`MEMO_CALL`), which is what a dependency
    on a student function refers to.
    """

    def __init__(self) -> None:
        self._by_function: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def call(self, key: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, made once per submission for each ``key``."""
        return self.derived(key, function, lambda: function(*args, **kwargs))

    def derived(self, key: str, function: Callable[..., Any], make: Callable[[], Any]) -> Any:
        """``make()`` (a value derived from calls of ``function``), once per submission."""
        store = self._by_function.setdefault(_unwrap(function), {})
        if key not in store:
            try:
                store[key] = (True, make())
            except Exception as exc:  # remembered and raised again, never swallowed
                if not hasattr(exc, MEMO_CALL):  # the innermost memoised call it came from
                    try:
                        setattr(exc, MEMO_CALL, (getattr(function, "__name__", ""), key))
                    except (AttributeError, TypeError):  # an exception without a __dict__
                        pass
                store[key] = (False, exc)
        ok, value = store[key]
        if not ok:
            raise value
        return value


class Kit:
    """One assignment's grading settings, shared by its question files.

    Parameters
    ----------
    module : str
        The student module's name (``handwriting`` for ``handwriting.py``).
    timeout : float
        Seconds per call into student code; equals ``timeout`` in ``assignment.toml``
        (a test keeps them equal).
    functions : iterable of str
        The functions of the student API (the names the question files take).
    """

    def __init__(self, *, module: str, timeout: float, functions: Iterable[str]):
        self.module = module
        self.timeout = float(timeout)
        self.functions = tuple(functions)
        self.memo = Memo()
        self.stopped: dict[str, float] = {}
        self.returned_none: list[str] = []
        """Student functions a call of which returned None, the most recent last (see
        :func:`returned_none`)."""
        self._import_reported = False
        namespace = _otter_grading_namespace()
        self._under_otter = namespace is not None
        if namespace is not None:
            self.guard_namespace(namespace)

    # -- under otter and pytest -------------------------------------------------------
    def guard_namespace(
        self, namespace: dict[str, Any], error: BaseException | None = None
    ) -> None:
        """Wrap the student API in ``namespace`` (in place): time limits, one import message.

        Functions the module does not define become stand-ins that fail with a clear
        message: the module did not import (``error``, else the kernel's last error), or
        the function is missing.
        """
        if error is None:
            error = getattr(sys, "last_value", None)
        defined = [n for n in self.functions if callable(namespace.get(n))]
        for name in self.functions:
            value = namespace.get(name)
            if callable(value):
                if not hasattr(value, "__clusterlab_guarded__"):
                    namespace[name] = self.guard(name, value)
            else:
                namespace[name] = self._stand_in(name, None if defined else error)

    def guard(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with the per-call timeout; after a time-out it is not called again."""

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self._under_otter:
                PointsLine.travel_with_otter_results()
            if name in self.stopped:
                raise Failed(
                    f"{name} was stopped after {self.stopped[name]:g} s in an earlier check; "
                    "not called again",
                    hint="check the stopping condition of your loops.",
                )
            value = _with_deadline(name, function, self.timeout, self.stopped, args, kwargs)
            if value is None:  # the most recent last
                self.returned_none = [n for n in self.returned_none if n != name] + [name]
            return value

        guarded.__clusterlab_guarded__ = function
        return guarded

    def _stand_in(self, name: str, error: BaseException | None) -> Callable[..., Any]:
        def missing(*args: Any, **kwargs: Any) -> Any:
            if self._under_otter:
                PointsLine.travel_with_otter_results()
            if error is None:
                raise Failed(
                    f"{self.module}.py has no function `{name}`",
                    hint="keep the function names of the template.",
                )
            if self._import_reported:
                raise Failed(f"not run, because {self.module}.py did not import (see above)")
            self._import_reported = True
            raise Failed(import_message(self.module, error))

        missing.__clusterlab_guarded__ = missing
        return missing


class PointsLine:
    """Ends ``otter check`` with "public checks: X/Y points; N more points are checked when
    your teacher grades", as ``clusterlab check`` and the bundle's pytest run end.

    ``otter check`` runs the checks in a Jupyter kernel, pickles otter's results there and
    prints them in its own process, which runs none of the graders' code. So the line
    travels with the results: the kit sets this object as an attribute of the test files
    otter has checked so far (each call into the student's code does), and pickling it
    (in the kernel, once every check has run) computes the line from otter's results and
    the ``hidden_points`` the public question files declare; unpickling it in otter's
    process registers ``print(line)`` with :mod:`atexit`, so it comes after otter's own
    output. Nothing is announced under ``otter run`` (the full graders: hidden cases ran)
    or when no hidden points are declared; otter's output is otherwise untouched.
    """

    ATTRIBUTE = "clusterlab_points_line"

    def __reduce__(self):
        line = self.line()
        return (atexit.register, (print, line)) if line else (str, ())

    @staticmethod
    def line() -> str | None:
        """The announcement, from otter's results in this (kernel) process, or None."""
        checker = getattr(sys.modules.get("otter.execute"), "Checker", None)
        if checker is None:
            return None
        earned = possible = hidden = 0.0
        for test_file in checker.get_results():
            for result in getattr(test_file, "test_case_results", []):
                case = result.test_case
                if case.hidden:  # the full graders (otter run): no announcement
                    return None
                possible += float(case.points or 0)
                earned += float(case.points or 0) if result.passed else 0.0
            hidden += _declared_hidden_points(getattr(test_file, "path", ""))
        if not hidden:
            return None
        return POINTS_LINE.format(earned=earned, possible=possible, hidden=hidden)

    @classmethod
    def travel_with_otter_results(cls) -> None:
        """Attach the line to every test file otter has checked so far (idempotent)."""
        checker = getattr(sys.modules.get("otter.execute"), "Checker", None)
        for test_file in checker.get_results() if checker is not None else []:
            if not hasattr(test_file, cls.ATTRIBUTE):
                setattr(test_file, cls.ATTRIBUTE, _POINTS_LINE)


_POINTS_LINE = PointsLine()
_HIDDEN_POINTS = re.compile(r"^hidden_points = ([0-9.]+)\s*$", re.MULTILINE)


def _declared_hidden_points(path: str) -> float:
    """``hidden_points`` of a public question file (``clusterlab sync`` writes it), else 0."""
    try:
        with open(path, encoding="utf-8") as f:
            found = _HIDDEN_POINTS.search(f.read())
    except OSError:
        return 0.0
    return float(found.group(1)) if found else 0.0


def import_message(module: str, error: BaseException) -> str:
    """``handwriting.py did not import: SyntaxError: invalid syntax (line 12)``."""
    line = getattr(error, "lineno", None)
    if line is None:
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(f"{module}.py") or tb.tb_next is None:
                line = tb.tb_lineno
            tb = tb.tb_next
    text = getattr(error, "msg", None) or str(error)
    where = f" (line {line})" if line else ""
    return f"{module}.py did not import: {type(error).__name__}: {text}{where}"


def _otter_grading_namespace() -> dict[str, Any] | None:
    """The kernel namespace of an ``otter check`` / ``otter run``, else None."""
    # otter.Notebook's own module: getattr(otter, "Notebook") would import otter's whole
    # API into a ClusterLab grader (autograder.lazy_otter defers it there)
    checker, ipython = sys.modules.get("otter.check.notebook"), sys.modules.get("IPython")
    notebook = getattr(checker, "Notebook", None)
    if notebook is None or ipython is None or not getattr(notebook, "_grading_mode", False):
        return None
    shell = ipython.get_ipython()
    return getattr(shell, "user_ns", None)


def _with_deadline(
    name: str,
    function: Callable[..., Any],
    timeout: float,
    stopped: dict[str, float],
    args: tuple,
    kwargs: dict,
) -> Any:
    """Call ``function``; past ``timeout`` seconds fail with :class:`Failed` and move on.

    In the main thread an interval timer interrupts the call; elsewhere the call runs in
    a daemon thread that is abandoned when it overruns.
    """
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def alarm(signum: int, frame: Any) -> None:
            raise Stopped(name)

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return function(*args, **kwargs)
        except Stopped:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    else:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = function(*args, **kwargs)
            except BaseException as exc:  # handed to the calling thread
                box["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout)
        if not worker.is_alive():
            if "error" in box:
                raise box["error"]
            return box["value"]
    stopped[name] = timeout
    raise Failed(
        f"{name} was stopped after {timeout:g} s",
        hint="check the stopping condition of your loops.",
    )
