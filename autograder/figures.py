"""Figures of a student's own results, for their feedback page.

An assignment may have ``graders/<name>/figures.py`` with ``FIGURES``: a tuple of
functions ``f(student) -> list[dict]`` that call the student's functions on the
assignment's *public* inputs and draw what comes back with
:mod:`autograder.render.plots` (matplotlib, Agg, in this trusted process).

Where does the data come from? First from a :class:`CallMemo` of the grading
session: the plain-data results of the calls the *public* cases made (recording
stops when the first hidden case starts, so no value that code could have derived
from a hidden input is ever drawn). A call the memo does not hold (or one that
returned a handle, like a fitted model) runs in a sandbox child of its own, started
only when needed after grading: that child never sees a hidden input, and whatever
the student's code does there (fail, hang, crash) cannot change the grade. A figure
that fails is left out; the page is made without it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder import codec
from autograder.assignment import Assignment
from autograder.sandbox.errors import ImportFailed
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import Session
from autograder.sandbox.zygote_client import Zygote

CALL_TIMEOUT = 10.0
"""Seconds per call into student code while making figures (grading has its own)."""
BUDGET = 20.0
"""Seconds after which no further figure of the submission is started."""

_MODULES: dict[Path, ModuleType | None] = {}


def figure_module(assignment: Assignment) -> ModuleType | None:
    """The assignment's ``figures.py``, imported once; None when it has none."""
    path = assignment.grader_dir / "figures.py"
    if path not in _MODULES:
        module = None
        if path.is_file():
            spec = importlib.util.spec_from_file_location(
                f"clusterlab_figures_{assignment.name}", path
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        _MODULES[path] = module
    return _MODULES[path]


def _no_handles(obj: Any) -> dict:
    raise codec.CodecError("not plain data")


def _call_key(name: str, args: tuple, kwargs: dict) -> bytes | None:
    """The call as the bytes that would cross to the child, hashed; None if it holds handles."""
    try:
        frame = codec.encode_message(
            {"target": name, "args": list(args), "kwargs": dict(kwargs)}, _no_handles
        )
    except (codec.CodecError, TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(frame).digest()


class CallMemo:
    """Plain-data results of the calls made during the public cases of one grading session.

    :meth:`record` wraps a session; :meth:`stop` is called when the first hidden case
    starts. Results are kept as encoded frames and decoded afresh on each use, so a
    grader that changed a returned array in place does not change a figure.
    """

    def __init__(self) -> None:
        self.active = True
        self.calls: dict[bytes, bytes] = {}

    def record(self, session: Session) -> None:
        """Remember what ``session``'s global calls return while the memo is active."""
        call = session.call_global

        def recorded(name: str, args: tuple, kwargs: dict) -> Any:
            key = _call_key(name, args, kwargs) if self.active else None
            value = call(name, args, kwargs)
            if key is not None and self.active:
                try:
                    self.calls[key] = codec.encode_message(value, _no_handles)
                except (codec.CodecError, TypeError, ValueError, RecursionError):
                    pass  # a handle (a fitted model): only a fresh child can give it again
            return value

        session.call_global = recorded

    def stop(self) -> None:
        self.active = False

    def get(self, name: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        key = _call_key(name, args, kwargs)
        if key is None or key not in self.calls:
            return False, None
        return True, codec.decode_message(self.calls[key][8:], _no_handles)  # past the length


class StudentCode:
    """The student's module as figure code sees it: ``student.fit_kmeans(X)`` calls into it.

    A call the memo holds is answered from it; any other starts the figures' own child.
    """

    def __init__(self, session: Session, memo: CallMemo | None):
        self._session, self._memo = session, memo
        self._started = False
        self.calls_made = 0

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._session.start()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._names():
            raise AttributeError(f"the module has no {name}")
        if self._names()[name] != "callable":
            self._start()
            return self._session.binding(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._memo is not None:
                hit, value = self._memo.get(name, args, kwargs)
                if hit:
                    return value
            self._start()
            self.calls_made += 1
            return self._session.call_global(name, args, kwargs)

        return call

    def _names(self) -> dict[str, str]:
        return self._memo_names if self._memo_names is not None else self._session.names


def make_figures(
    assignment: Assignment,
    zygote: Zygote,
    source: bytes,
    *,
    protected: list[str],
    memory_mb: int,
    names: dict[str, str],
    memo: CallMemo | None = None,
) -> tuple[list[dict[str, str]], list[str]]:
    """Figure records of one submission, and a note for each figure that could not be made.

    ``names`` are the module's globals (name -> kind) as the grading session saw them.
    """
    module = figure_module(assignment)
    if module is None:
        return [], []
    session = Session(
        zygote,
        module_name=assignment.module,
        source=source,
        data_files=[str(p) for p in assignment.data_paths],
        limits=Limits(cpu_seconds=int(BUDGET * 3), memory_mb=memory_mb),
        timeout=CALL_TIMEOUT,
        protected=protected,
    )
    records: list[dict[str, str]] = []
    notes: list[str] = []
    start = time.perf_counter()
    try:
        student = StudentCode(session, memo)
        student._memo_names = dict(names)
        for make in module.FIGURES:
            if time.perf_counter() - start > BUDGET:
                notes.append(f"{make.__name__}: skipped, the figure budget of {BUDGET:g} s ran out")
                continue
            try:
                records += make(student)
            except Exception as exc:  # the student's code or what it returned: no figure
                notes.append(f"{make.__name__}: {type(exc).__name__}: {str(exc)[:200]}")
    except ImportFailed as exc:
        notes.append(f"import: {exc.student_message}")
    finally:
        session.close()
    return records, notes
