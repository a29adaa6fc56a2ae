"""The ``otter`` package without its API until something asks for it.

``import otter.test_files`` (what every question file and :mod:`autograder.testfiles`
need: ``test_case``, ``TestFile``) first runs ``otter/__init__.py``, which imports otter's
whole API: ``otter.api``, the exporters (nbconvert, mistune), ``otter.run`` (pandas,
scipy.stats). That is 0.6-1 s of every grading process (``clusterlab check``, each batch
worker) for modules a grader never calls.

:func:`defer_otter_api` registers the real ``otter`` package (its spec, path and files)
without running its ``__init__``; submodules import as usual. The first use of a name
the ``__init__`` defines (``otter.Notebook``, ``otter.api``, ``otter.__version__``,
``from otter import logs``) runs it then, so code that uses otter's API sees the
package exactly as a normal ``import otter`` leaves it.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_lock = threading.RLock()


def defer_otter_api() -> None:
    """Register ``otter`` with its ``__init__`` deferred (nothing if it is already imported)."""
    with _lock:
        if "otter" in sys.modules:
            return
        spec = importlib.util.find_spec("otter")
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return  # not installed as a package: let the normal import report it
        package = importlib.util.module_from_spec(spec)
        package.__getattr__ = _run_init_then(package, spec)  # PEP 562: missing names only
        sys.modules["otter"] = package


def _run_init_then(package: ModuleType, spec: Any) -> Any:
    started = []

    def __getattr__(name: str) -> Any:
        with _lock:  # another thread waits here until the __init__ has run
            if not started:  # (while it runs, its own lookups here find nothing)
                started.append(True)
                try:
                    spec.loader.exec_module(package)  # the real otter/__init__.py, once
                finally:
                    package.__dict__.pop("__getattr__", None)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'otter' has no attribute {name!r}") from None

    return __getattr__
