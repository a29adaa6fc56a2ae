"""Jupyter notebooks as submissions: the code cells, in order, become the module.

The notebook is read with nbformat (any version it can upgrade to 4). IPython
magics and shell escapes (``%matplotlib inline``, ``!pip install``, ``%%bash``
cells, ``files = !ls``) cannot run as Python; each is replaced by ``pass`` at the
same indent and the student gets a note naming its cell and line. A cell magic that
runs its cell as Python in the notebook's namespace (``%%time``, ``%%capture``,
``%%prun``) loses only its first line: the functions it defines stay, as in Jupyter. Plotting at top
level is harmless: the module starts on matplotlib's non-interactive Agg backend
when it uses matplotlib. :meth:`Converted.where` and :meth:`Converted.remap` turn
a line of the generated module back into "cell 3, line 2" for messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

MAGIC = re.compile(r"^\s*(?:%|!|[A-Za-z_][\w, ]*=\s*[%!])")
"""A line IPython would rewrite: a line magic, a shell escape, or ``x = !cmd`` / ``x = %magic``."""
HELP = re.compile(r"^\s*\?+[\w.]+\s*$|^\s*[\w.]+\?+\s*$")
"""IPython help lines (``?np.mean``, ``np.mean??``)."""
AGG = 'import matplotlib as _clusterlab_mpl\n_clusterlab_mpl.use("Agg")\ndel _clusterlab_mpl\n'
"""Prepended when the notebook uses matplotlib: figures are drawn off screen, never shown."""
PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})
"""Cell magics whose body Jupyter runs as ordinary code in the notebook's namespace."""
_LINE = re.compile(r"\bline (\d+)( of your file)?")


class NotebookError(ValueError):
    """The notebook cannot be read; the message is for the student."""


@dataclass
class Converted:
    """A notebook turned into module source."""

    source: str
    """The module: every code cell in order, magics replaced by ``pass``."""
    notes: list[str] = field(default_factory=list)
    """One sentence per dropped magic or shell command, for the student."""
    origin: list[tuple[int, int]] = field(default_factory=list)
    """For each line of ``source`` (0-based): (cell number, line in the cell), (0, 0) if added."""

    def where(self, line: int) -> str:
        """``cell 3, line 2`` for line ``line`` (1-based) of the module."""
        if 1 <= line <= len(self.origin) and self.origin[line - 1][0]:
            cell, row = self.origin[line - 1]
            return f"cell {cell}, line {row}"
        return f"line {line}"

    def remap(self, text: str) -> str:
        """``text`` with every "line N (of your file)" pointing at the notebook's cell instead."""
        if not text:
            return text

        def sub(m: re.Match) -> str:
            place = self.where(int(m[1]))
            return place + (" of your notebook" if m[2] else "")

        return _LINE.sub(sub, text)


def looks_like_notebook(name: str, data: bytes) -> bool:
    """True for a ``.ipynb`` file, or for notebook JSON saved under another name."""
    if name.lower().endswith(".ipynb"):
        return True
    if not data.lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(doc := json.loads(data), dict) and "cells" in doc
    except (ValueError, UnicodeDecodeError):
        return False


def to_module(data: bytes) -> Converted:
    """The module made of the notebook's code cells.

    Raises
    ------
    NotebookError
        When the file is not a notebook nbformat can read, or has no code.
    """
    import nbformat

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises many kinds; all mean "not a notebook"
        raise NotebookError(
            f"this notebook could not be read ({type(exc).__name__}); open it in Jupyter, "
            "save it again and resubmit"
        ) from None
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    notes: list[str] = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.get("cell_type") != "code":
            continue
        rows = str(cell.get("source", "")).splitlines()
        cell_magic = bool(rows) and rows[0].lstrip().startswith("%%")
        keeps_body = cell_magic and _magic_name(rows[0]) in PYTHON_CELL_MAGICS
        if cell_magic:
            notes.append(_note(number, 1, rows[0], whole_cell=not keeps_body))
        for row_no, row in enumerate(rows, 1):
            whole = cell_magic and not (keeps_body and row_no > 1)
            if whole or MAGIC.match(row) or HELP.match(row):
                if not whole:
                    notes.append(_note(number, row_no, row))
                indent = row[: len(row) - len(row.lstrip())]
                row = f"{indent}pass  # skipped when graded"
            lines.append(row)
            origin.append((number, row_no))
        lines.append("")
        origin.append((0, 0))
    if not any(line.strip() and not line.strip().startswith("#") for line in lines):
        raise NotebookError("this Jupyter notebook has no code cells; nothing could be graded")
    # a cell may start with `from __future__ import ...`; in a module it must come first
    future = [row for row in lines if row.startswith("from __future__ import")]
    lines = ["pass" if row.startswith("from __future__ import") else row for row in lines]
    header = "".join(f"{row}\n" for row in dict.fromkeys(future))
    if any(re.match(r"\s*(?:import|from)\s+matplotlib", row) for row in lines):
        header += AGG
    source = header + "\n".join(lines) + "\n"
    origin = [(0, 0)] * header.count("\n") + origin
    return Converted(source=source, notes=notes, origin=origin)


def _magic_name(first_row: str) -> str:
    """``time`` for ``%%time`` (or ``%%time -o t``)."""
    return (first_row.strip()[2:].split() or [""])[0]


def _note(cell: int, line: int, text: str, *, whole_cell: bool = False) -> str:
    shown = text.strip()
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    what = "the whole cell" if whole_cell else "this line"
    return (
        f"cell {cell}, line {line}: `{shown}` is IPython, not Python, so {what} was skipped "
        "when graded; your functions must work without it"
    )


def from_module(source: str, *, title: str = "") -> str:
    """A notebook (JSON text) with the module's code, one cell per top-level function or class.

    The module docstring becomes the first (Markdown) cell. The output is the same
    for the same input (fixed cell ids), so ``clusterlab sync --check`` can compare it.
    """
    import ast

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    tree = ast.parse(source)
    lines = source.splitlines()
    body = tree.body
    cells = []
    first = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            text = body[0].value.value.strip()
            cells.append(new_markdown_cell(f"# {title}\n\n{text}" if title else text))
            first = body[0].end_lineno
            body = body[1:]
    starts = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            while start > first and lines[start - 1].lstrip().startswith("#"):
                start -= 1  # comments just above a definition belong to its cell
            starts.append(start)
    bounds = [first, *[s for s in starts if s > first], len(lines)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        chunk = "\n".join(lines[lo:hi]).strip("\n")
        if chunk.strip():
            cells.append(new_code_cell(chunk))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells, 1):
        cell["id"] = f"cell-{i}"
    return nbformat.writes(nb) + "\n"
