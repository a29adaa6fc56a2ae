"""Q5: choose DBSCAN's parameters from the grid."""

import importlib.util
import sys
from pathlib import Path

import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False
name = "q5_best_setting"


def _support(name="_shared"):
    """``support/<name>.py`` beside this file, loaded once per process and shared by every
    question file (otter may run this file as a bare string: then ``./tests/support``)."""
    here = Path(_support.__code__.co_filename).resolve().parent
    path = (
        (here if (here / "support").is_dir() else Path.cwd() / "tests") / "support" / f"{name}.py"
    )
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


shared = _support()
check = shared.check

DEPENDS = {
    "hidden_ties": ["best_setting"],
    "hidden_max_noise": ["best_setting"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS)."""


def _grid(rows):
    return pd.DataFrame(rows, columns=["eps", "min_samples", "n_clusters", "noise_fraction"])


GRID = [
    (4.5, 3, 27, 0.472),
    (4.5, 8, 5, 0.704),
    (5.5, 3, 3, 0.145),
    (5.5, 8, 2, 0.257),
    (6.5, 3, 2, 0.022),
    (6.5, 8, 4, 0.180),
]


def _pair(result, hidden=False):
    """The student's answer as ``(eps, min_samples)`` (or None)."""
    if result is None:
        return None
    check(
        isinstance(result, tuple | list) and len(result) == 2,
        f"best_setting returned {type(result).__name__}; expected a pair (eps, min_samples) "
        "or None",
        hint="return `(row.eps, row.min_samples)` of the chosen row.",
    )
    return float(result[0]), int(result[1])


@test_case(name="best_setting picks the most clusters among the rows with little noise", points=3)
def public_rule(best_setting):
    got = _pair(shared.KIT.memo.call("default", best_setting, _grid(GRID), max_noise=0.25))
    check(
        got == (6.5, 8),
        "best_setting did not choose the row with the most clusters among the rows with noise "
        "at most 0.25 (4 clusters, noise 0.180)",
        expected=(6.5, 8),
        actual=got,
        hint="first drop the rows with noise_fraction above max_noise, then take the most "
        "clusters.",
    )


_hidden_ties = [
    (0.3, 4, 6, 0.20),
    (0.3, 9, 6, 0.10),
    (0.5, 4, 9, 0.31),
    (0.5, 9, 6, 0.10),
    (0.7, 4, 2, 0.00),
]
_hidden_full_tie = [
    (1.0, 2, 3, 0.05),
    (2.0, 2, 7, 0.05),
    (2.0, 6, 7, 0.05),
    (3.0, 2, 5, 0.15),
]
_hidden_edge = [
    (1.0, 2, 3, 0.05),
    (2.0, 2, 7, 0.05),
    (2.0, 6, 7, 0.05),
    (3.0, 2, 8, 0.15),
]


@test_case(
    name="best_setting breaks ties by the lower noise, then the earlier row", points=3, hidden=True
)
def hidden_ties(best_setting):
    got = _pair(best_setting(_grid(_hidden_ties), max_noise=0.25), True)
    check(
        got == (0.3, 9),
        "on another grid best_setting did not break a tie in the number of clusters as asked",
        hint="among the rows with the most clusters take the lowest noise_fraction, and among "
        "those the first row.",
    )
    got = _pair(best_setting(_grid(_hidden_full_tie), max_noise=0.25), True)
    check(
        got == (2.0, 2),
        "on another grid with equal clusters and equal noise best_setting did not take the "
        "earlier row",
        hint="on a full tie keep the first row of the grid.",
    )


@test_case(
    name="best_setting honours max_noise and returns None when no row qualifies",
    points=4,
    hidden=True,
)
def hidden_max_noise(best_setting):
    got = _pair(best_setting(_grid(_hidden_edge), max_noise=0.15), True)
    check(
        got == (3.0, 2),
        "on another grid best_setting left out a row whose noise equals max_noise",
        hint="a row qualifies when its noise_fraction is at most max_noise (<=).",
    )
    got = best_setting(_grid(_hidden_ties), max_noise=0.0)
    check(
        _pair(got, True) == (0.7, 4),
        "on another grid best_setting did not honour max_noise",
        hint="use the max_noise you are given.",
    )
    got = best_setting(_grid(_hidden_edge), max_noise=0.01)
    check(
        got is None,
        "on a grid where every row has more noise than max_noise, best_setting did not return None",
        hint="return None when no row qualifies.",
    )
