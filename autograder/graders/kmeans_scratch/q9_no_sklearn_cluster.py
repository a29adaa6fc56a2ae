"""Q9: kmeans is the student's own: the module does not use sklearn.cluster.

The source is read, never run. It comes from ``env["__source__"]``, the text of the
submitted file that ClusterLab's grader and the bundle's conftest put into ``env``; under
plain otter/pytest runners without it, from ``env["__file__"]`` (the module's globals),
and under ``otter check``/``otter run`` (which runs the file as a notebook cell) from the
kernel's cells ``In``. ``uses_sklearn_cluster`` lives here, in the test file itself,
because graders import only numpy, scipy, scikit-learn, pandas and otter; its own unit
tests load it from this file.
"""

import ast
import os

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q9_no_sklearn_cluster"

TWO_PAIRS = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0]])


def _module_sources(env) -> list[str]:
    """The text of the student module (one string), or the kernel's cells; [] if unknown."""
    if not hasattr(env, "get"):
        return []
    source = env.get("__source__")
    if isinstance(source, str):
        return [source]
    path = env.get("__file__")
    if isinstance(path, str) and path.endswith(".py") and os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return [f.read()]
    cells = env.get("In")
    if isinstance(cells, list):
        return [cell for cell in cells if isinstance(cell, str) and cell.strip()]
    return []


@test_case(name="kmeans_scratch.py implements kmeans without sklearn.cluster", points=4)
def no_sklearn_cluster(env, kmeans):
    sources = _module_sources(env)
    assert sources, (
        "the grader could not read the source of kmeans_scratch.py, so this check did not run\n"
        "hint: this is a problem of the grading set-up, not of your code; tell your teacher."
    )
    found = [use for source in sources for use in uses_sklearn_cluster(source)]
    assert not found, (
        f"kmeans_scratch.py uses sklearn.cluster: {'; '.join(found[:3])}\n"
        "hint: this assignment rebuilds KMeans with numpy; remove the sklearn.cluster import."
    )
    # The points are for a K-means of your own, so kmeans must also run (an empty stub
    # uses no sklearn.cluster either).
    result = kmeans(TWO_PAIRS.copy(), 2, n_init=1, random_state=0)
    assert isinstance(result, tuple | list) and len(result) == 4, (
        "kmeans does not return (centroids, labels, inertia, n_iter)"
    )
    labels = np.asarray(result[1])
    assert labels.shape == (4,) and len(np.unique(labels)) == 2, (
        f"on two pairs of points, (0, 0) (0, 1) and (5, 0) (5, 1), kmeans(X, 2) put the points "
        f"in {len(np.unique(labels))} cluster(s); expected 2\n"
        "hint: the points are for a K-means of your own: it must find two clusters here."
    )


def uses_sklearn_cluster(source: str) -> list[str]:
    """Every place where ``source`` imports or reaches ``sklearn.cluster``.

    Found: ``import sklearn.cluster`` (and its submodules, with or without ``as``),
    ``from sklearn.cluster[...] import ...``, ``from sklearn import cluster`` and
    ``from sklearn import *``, the attribute ``cluster`` of a name bound to the
    ``sklearn`` package (``sklearn.cluster.KMeans`` after ``import sklearn``), and the
    dynamic forms ``importlib.import_module`` (also imported under another name),
    ``__import__``, ``exec``, ``eval``, ``compile`` and ``getattr`` called with a string
    that names ``sklearn.cluster`` (or with ``sklearn`` and ``"cluster"``). Docstrings and
    comments that mention ``sklearn.cluster`` are not uses; ``sklearn.metrics.cluster``
    is another module and is allowed. A static rule cannot see through deliberate
    obfuscation (module names built at run time); it catches every ordinary use.

    Parameters
    ----------
    source : str
        The text of a Python module.

    Returns
    -------
    list of str
        One ``"line N: <code>"`` entry per use, in source order; empty when there is
        none or when the source does not parse (the import check reports that).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []

    def is_cluster_module(module: str) -> bool:
        return module == "sklearn.cluster" or module.startswith("sklearn.cluster.")

    def call_name(call: ast.Call) -> str:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
        return ""

    sklearn_names = set()  # local names bound to the sklearn package itself
    dynamic = {"__import__", "import_module", "exec", "eval", "compile", "getattr"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sklearn":
                    sklearn_names.add(alias.asname or "sklearn")
                elif alias.name.startswith("sklearn.") and alias.asname is None:
                    sklearn_names.add("sklearn")  # `import sklearn.x` binds `sklearn`
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
            for alias in node.names:
                if alias.name == "import_module" and alias.asname:
                    dynamic.add(alias.asname)  # from importlib import import_module as im

    found = []
    for node in ast.walk(tree):
        hit = False
        if isinstance(node, ast.Import):
            hit = any(is_cluster_module(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            hit = is_cluster_module(module) or (
                module == "sklearn" and any(a.name in ("cluster", "*") for a in node.names)
            )
        elif isinstance(node, ast.Attribute):
            hit = (
                node.attr == "cluster"
                and isinstance(node.value, ast.Name)
                and node.value.id in sklearn_names
            )
        elif isinstance(node, ast.Call) and call_name(node) in dynamic:
            parts = [*node.args, *(keyword.value for keyword in node.keywords)]
            strings = [
                sub.value
                for part in parts
                for sub in ast.walk(part)
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
            ]
            names_sklearn = "sklearn" in strings or any(
                isinstance(part, ast.Name) and part.id in sklearn_names for part in parts
            )
            hit = any("sklearn.cluster" in s for s in strings) or (
                names_sklearn and "cluster" in strings
            )
        if hit:
            code = ast.unparse(node)
            code = code if len(code) <= 80 else code[:77] + "..."
            found.append((node.lineno, node.col_offset, f"line {node.lineno}: {code}"))
    return [text for _, _, text in sorted(set(found))]
