"""What a hidden case may show a student: the check's own words, never data.

A hidden case's assertion message is written by the check, but it may quote what
the student's code returned (``f"got {result!r}"``) and so echo a hidden input
back. :func:`own_words` rebuilds the message from the source of the ``assert``
(or ``raise AssertionError(...)``) that failed, keeping only its literal text:
every formatted value becomes "…". A message that is not literal text in the
check's source (a variable, a call, a library's assertion) gives ``None``, and
the caller shows a fixed sentence instead.
"""

from __future__ import annotations

import ast
import functools
import os
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


def _literal(node: ast.expr, frame: FrameType, literals: frozenset[str]) -> str | None:
    """The literal text of a message expression (formatted values elided), or None."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is str else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            else:
                value = _name_value(part.value, frame, literals)
                no_format = part.conversion == -1 and part.format_spec is None
                parts.append(value if value is not None and no_format else ELIDED)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _literal(node.left, frame, literals)
        right = _literal(node.right, frame, literals)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Name):
        branch = node.body if _lookup(frame, node.test.id) else node.orelse
        return _literal(branch, frame, literals)
    return _name_value(node, frame, literals)


def _name_value(node: ast.expr, frame: FrameType, literals: frozenset[str]) -> str | None:
    """A variable's text if it holds one of the check file's own string literals."""
    if isinstance(node, ast.Name):
        value = _lookup(frame, node.id)
        if type(value) is str and value in literals:
            return value
    return None


def own_words(exc: BaseException, check_dir: str) -> str | None:
    """The failed assertion's message as the check wrote it, with every value elided.

    Parameters
    ----------
    exc : BaseException
        The ``AssertionError`` a check raised (with its traceback).
    check_dir : str
        Folder of the check files: the failing statement must be in a file there.

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
    if os.path.dirname(os.path.realpath(filename)) != os.path.realpath(check_dir):
        return None
    tree, literals = _module(filename)
    stmt = _raising_statement(tree, last.tb_lineno) if tree is not None else None
    node = _message_node(stmt) if stmt is not None else None
    if node is None:
        return None
    try:
        text = _literal(node, frame, literals)
    except Exception:  # an odd frame: show nothing rather than something
        return None
    return text.strip() if text else None
