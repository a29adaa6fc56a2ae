"""What a hidden case may show a student: the check's own words, never data.

A hidden case's assertion message is written by the check, but it may quote what
the student's code returned (``f"got {result!r}"``) and so echo a hidden input
back. :func:`own_words` matches the message against the source of the ``assert``
(or ``raise AssertionError(...)``) that failed: its literal text is kept, and so is
a computed part (a variable, a hint function's result, the branch an ``if hidden``
chose) whose text is made of at most three of the check file's own string literals,
or is the name of a library type (``{type(x).__name__}``). Every other part, and
every value formatted with ``!r`` or a format spec, becomes "…". A message that
does not come from an assertion in the check's file (``np.testing``, say) gives
``None``, and the caller shows a fixed sentence instead.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from types import FrameType, TracebackType

ELIDED = "…"
"""What stands in a hidden case's message for a value the check formatted into it."""


@functools.cache
def _module(filename: str) -> tuple[ast.Module | None, frozenset[str]]:
    """The parsed source of a check file, and every string literal in it."""
    try:
        with open(filename, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return None, frozenset()
    literals = frozenset(
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is str
    )
    return tree, literals


def _raising_statement(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost ``assert`` or ``raise`` statement that spans ``line``."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assert, ast.Raise)) and node.lineno <= line <= node.end_lineno:
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _message_node(stmt: ast.stmt) -> ast.expr | None:
    if isinstance(stmt, ast.Assert):
        return stmt.msg
    exc = stmt.exc
    if (
        isinstance(exc, ast.Call)
        and isinstance(exc.func, ast.Name)
        and exc.func.id == "AssertionError"
        and len(exc.args) == 1
        and not exc.keywords
    ):
        return exc.args[0]
    return None


def _lookup(frame: FrameType, name: str) -> object:
    if name in frame.f_locals:
        return frame.f_locals[name]
    return frame.f_globals.get(name, frame.f_builtins.get(name))


MAX_PIECES = 3
"""Most literals a computed part of a message may be made of to be kept ("hint: " + hint)."""


def _resolve(test: ast.expr, frame: FrameType) -> bool | None:
    """The value of an ``if`` test that names a flag (``hidden``, ``not hidden``), else None."""
    if isinstance(test, ast.Name):
        return bool(_lookup(frame, test.id))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _resolve(test.operand, frame)
        return None if inner is None else not inner
    return None


def _template(node: ast.expr, frame: FrameType) -> list:
    """The message as literal strings and holes (the expressions whose text is computed)."""
    if isinstance(node, ast.Constant) and type(node.value) is str:
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out: list = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif part.format_spec is None and part.conversion == -1:
                out += _template(part.value, frame)
            else:
                out.append(part)  # formatted with a spec or !r: a value, never words
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _template(node.left, frame) + _template(node.right, frame)
    if isinstance(node, ast.IfExp):
        test = _resolve(node.test, frame)
        if test is not None:
            return _template(node.body if test else node.orelse, frame)
    return [node]


def _pieces(text: str, literals: frozenset[str], left: int = MAX_PIECES) -> bool:
    """Whether ``text`` is a concatenation of at most ``left`` of the file's literals."""
    if not text or text in literals:
        return True
    if left <= 1:
        return False
    return any(
        _pieces(text[len(lit) :], literals, left - 1)
        for lit in literals
        if len(lit) > 1 and text.startswith(lit)
    )


def _hole_text(hole: ast.expr, text: str, frame: FrameType, literals: frozenset[str]) -> str:
    """The computed text of a hole if it is the check's own words, else "…"."""
    if isinstance(hole, ast.FormattedValue):
        return ELIDED
    if _pieces(text, literals) or text == _type_name(hole, frame):
        return text
    return ELIDED


def _own_text(node: ast.expr, message: str, frame: FrameType, literals: frozenset[str]) -> str:
    """Match the message against its template: keep the literals, elide the data."""
    parts = _template(node, frame)
    pattern = "".join(re.escape(p) if isinstance(p, str) else "(.*?)" for p in parts)
    match = re.fullmatch(pattern, message, re.DOTALL)
    if match is None:
        return ""
    holes = iter(match.groups())
    return "".join(
        p if isinstance(p, str) else _hole_text(p, next(holes), frame, literals) for p in parts
    )


def _type_name(expr: ast.expr, frame: FrameType) -> str | None:
    """``type(x).__name__`` when x's type is a library's or the grader's, never the student's."""
    if not (
        isinstance(expr, ast.Attribute)
        and expr.attr == "__name__"
        and isinstance(expr.value, ast.Call)
        and isinstance(expr.value.func, ast.Name)
        and expr.value.func.id == "type"
        and len(expr.value.args) == 1
        and isinstance(expr.value.args[0], ast.Name)
    ):
        return None
    cls = type(_lookup(frame, expr.value.args[0].id))
    module = cls.__module__.split(".")[0]
    return cls.__name__ if module in _KNOWN_TYPE_MODULES else None


_KNOWN_TYPE_MODULES = frozenset({"builtins", "numpy", "pandas", "autograder"})
"""Where a type the grader holds can come from (student objects arrive as handles)."""


def own_words(exc: BaseException, check_dir: str) -> str | None:
    """The failed assertion's message as the check wrote it, with every value elided.

    Parameters
    ----------
    exc : BaseException
        The ``AssertionError`` a check raised (with its traceback).
    check_dir : str
        Folder of the check files: the failing statement must be in a file there or in
        its ``support/`` folder (the assignment's shared helpers).

    Returns
    -------
    str or None
        The literal words, or ``None`` if the message is not literal text of a check.
    """
    tb: TracebackType | None = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return None
    frame = last.tb_frame
    filename = frame.f_code.co_filename
    folder = os.path.dirname(os.path.realpath(filename))
    if folder not in (os.path.realpath(check_dir), os.path.realpath(check_dir) + "/support"):
        return None  # neither a check file nor the assignment's shared helpers (support/)
    tree, literals = _module(filename)
    stmt = _raising_statement(tree, last.tb_lineno) if tree is not None else None
    node = _message_node(stmt) if stmt is not None else None
    if node is None:
        return None
    try:
        text = _own_text(node, str(exc), frame, literals)
    except Exception:  # an odd frame: show nothing rather than something
        return None
    return text.strip() or None


def is_own_text(text: str, *check_files: str) -> bool:
    """Whether ``text`` is made of at most :data:`MAX_PIECES` string literals of the files.

    A check's message may join a literal of its own file (``where``) with one of the
    assignment's shared helper module, whose ``check`` raised it.
    """
    literals = frozenset().union(*(_module(f)[1] for f in check_files))
    return _pieces(text, literals)
