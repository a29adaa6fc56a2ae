"""What the oosterhout question files share: the kit, the data, the student's default fit.

Loaded once per process by every question file (``_support()`` in each), so the
student's default fit is made once per submission whichever files run, and the grader's
own values once per process. Published with the public copy (``_hidden*`` names
stripped) and exported with the otter zip.
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _load(path: Path):
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


def _kit_path() -> Path:
    """graderkit.py: beside this file (bundle, zip), else in the graders folder (repo)."""
    here = Path(__file__).resolve().parent
    for path in (here / "graderkit.py", here.parent.parent / "graderkit.py"):
        if path.is_file():
            return path
    raise FileNotFoundError("graderkit.py is missing next to support/_shared.py")


kit = _load(_kit_path())
Failed, check = kit.Failed, kit.check

FUNCTIONS = (
    "load_data",
    "preprocess",
    "elbow_inertias",
    "silhouette_by_k",
    "choose_k",
    "fit_kmeans",
    "profile_clusters",
)
KIT = kit.Kit(module="oosterhout", timeout=30, functions=FUNCTIONS)
"""timeout equals assignment.toml's."""

# Given in the stub (the student API): the columns clustered on and the skewed ones.
FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]
K = 4  # the shipped data has 4 planted segments (datasets/oosterhout/DATACARD.md)

HERE = Path(__file__).resolve().parent


@functools.cache
def shipped_features():
    """The FEATURES columns of toewijzingen.csv left-joined with wijken.csv (with the gaps).

    The grader's own table: later questions judge the student's functions on it, not on
    the student's ``load_data()``, so a mistake there costs the load_data checks only.
    Read from ``shipped_features.csv`` beside this file (the graders, the exported zip),
    else joined from the data files of the bundle this file is published into
    (``tests/support/``, two folders below the data).
    """
    stored = HERE / "shipped_features.csv"
    if stored.is_file():
        return pd.read_csv(stored)
    bundle = HERE.parent.parent
    toewijzingen = pd.read_csv(bundle / "toewijzingen.csv")
    wijken = pd.read_csv(bundle / "wijken.csv")
    return toewijzingen.merge(wijken, on="wijk_code", how="left")[FEATURES]


def preprocessed(df):
    """The contract of preprocess, computed by the grader."""
    table = df[FEATURES].astype(float)
    table = table.fillna(table.median())
    table[SKEWED] = np.log1p(table[SKEWED])
    X = table.to_numpy()
    return (X - X.mean(axis=0)) / X.std(axis=0)


@functools.cache
def shipped_X():
    """The grader's own preprocessing of the shipped data (read-only)."""
    X = preprocessed(shipped_features())
    X.flags.writeable = False
    return X


def as_matrix(value):
    """``value`` as a float array, or None if it is not numeric."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def default_fit(fit_kmeans):
    """The student's ``fit_kmeans(X, 4, random_state=0)`` on the shipped data, once per
    submission for every question file (its exception too)."""
    return KIT.memo.call("default", fit_kmeans, shipped_X().copy(), K, random_state=0)


@functools.cache
def _hidden_variant(k):
    """The grader's variant of the data with k planted segments (joined; read-only use)."""
    return pd.read_csv(HERE / f"variant_k{k}.csv")
