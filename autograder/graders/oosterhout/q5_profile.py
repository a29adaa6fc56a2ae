"""Q5: profile_clusters describes each cluster in the original units."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False
name = "q5_profile"

# A check that cannot be judged without the default call of these student functions
# (memoised: shared.KIT.memo) is not run once that call failed: one explanation, not many.
DEPENDS = {
    "one_row_per_cluster": ["profile_clusters"],
    "sizes": ["profile_clusters"],
    "means": ["profile_clusters"],
    "other_data": ["profile_clusters"],
}


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

FEATURES, SKEWED = shared.FEATURES, shared.SKEWED
AGE_BANDS = [6, 12, 16]  # the public checks profile four age bands as if they were clusters

MEAN_RTOL = 1e-6
"""Relative tolerance on the cluster means: they are plain arithmetic, so only rounding
differs between correct ways to compute them (<= 3.1e-16); filling missing values with 0
first is off by >= 0.054; see docs/calibration/oosterhout.md, table "profile"."""


def _age_band_profile(profile_clusters):
    """The student's profile of the shipped data, with age bands as the labels.

    The table is the grader's own join of the shipped files, not the student's
    ``load_data()``: a mistake in load_data costs the load_data checks only.
    """
    df = shared.shipped_features()
    labels = np.digitize(df["leeftijd"].to_numpy(dtype=float), AGE_BANDS)
    return df, labels, shared.KIT.memo.call("default", profile_clusters, df.copy(), labels.copy())


def _table(profile, k):
    assert isinstance(profile, pd.DataFrame), (
        f"profile_clusters returned {type(profile).__name__}; expected a pandas DataFrame\n"
        "hint: df[FEATURES].groupby(labels).mean() is a good start."
    )
    index = list(profile.index)
    assert index == list(range(k)), (
        f"the profile is indexed by {_short(index)}; expected the cluster ids 0..{k - 1} "
        "in order\nhint: group by the labels, one row per cluster id."
    )
    return profile


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _column(profile, col):
    assert col in profile.columns, (
        f"the profile has no column {col!r} (its columns: {_short(list(profile.columns))})\n"
        "hint: one column per name in FEATURES, plus a column 'size'."
    )
    values = pd.to_numeric(pd.Series(np.asarray(profile[col], dtype=object)), errors="coerce")
    return values.to_numpy(dtype=float)


def _expected_means(df, labels, k):
    table = df[FEATURES].apply(pd.to_numeric, errors="coerce").astype(float)
    return table.groupby(np.asarray(labels)).mean().reindex(range(k))


_REFERENCE_MEANS = {}


def _reference_means(df, labels, k):
    """The means per label of the grader's own table (and with its gaps counted as 0),
    once per process: the same for every submission. ``df`` is kept with them, so its
    id names it for as long as they are cached."""
    key = (id(df), np.asarray(labels).tobytes(), k)
    if key not in _REFERENCE_MEANS:
        zero_filled = (
            df[FEATURES].apply(pd.to_numeric, errors="coerce").fillna(0).groupby(labels).mean()
        )
        _REFERENCE_MEANS[key] = (df, _expected_means(df, labels, k), zero_filled)
    return _REFERENCE_MEANS[key][1:]


def _mean_problems(profile, df, labels, k):
    expected, zero_filled = _reference_means(df, labels, k)
    sizes = np.bincount(labels, minlength=k)
    problems = []
    for col in FEATURES:
        got, want = _column(profile, col), expected[col].to_numpy()
        if not np.allclose(got, want, rtol=MEAN_RTOL, atol=1e-9):
            j = int(np.flatnonzero(~np.isclose(got, want, rtol=MEAN_RTOL, atol=1e-9))[0])
            if np.allclose(got, zero_filled[col].to_numpy(), rtol=MEAN_RTOL):
                why = "missing values were counted as 0"
            elif abs(sizes @ np.nan_to_num(got)) < 0.01 * len(labels) and abs(
                sizes @ np.nan_to_num(want)
            ) > len(labels):
                why = "these average to 0 over all rows: standardised values?"
            else:
                why = f"cluster {j}: {got[j]:,.4g} instead of {want[j]:,.4g}"
            problems.append((col, why))
    return problems


@test_case(name="profile_clusters has one row per cluster, numbered 0 to k-1", points=1)
def one_row_per_cluster(profile_clusters):
    _, _, profile = _age_band_profile(profile_clusters)
    _table(profile, len(AGE_BANDS) + 1)


@test_case(name="the size column counts the members of each cluster", points=1)
def sizes(profile_clusters):
    df, labels, profile = _age_band_profile(profile_clusters)
    k = len(AGE_BANDS) + 1
    got = _column(_table(profile, k), "size")
    want = np.bincount(labels, minlength=k)
    assert np.array_equal(got, want), (
        f"the sizes are {got.tolist()}; the labels have {want.tolist()} members "
        f"(total {len(df):,} rows)\nhint: count the rows with each label, e.g. with "
        "np.bincount(labels)."
    )


@test_case(name="profile_clusters shows the mean of the original values per cluster", points=2)
def means(profile_clusters):
    df, labels, profile = _age_band_profile(profile_clusters)
    k = len(AGE_BANDS) + 1
    problems = _mean_problems(_table(profile, k), df, labels, k)
    assert not problems, (
        "the means differ from those of the original values in "
        + "; ".join(f"{col} ({why})" for col, why in problems[:3])
        + "\nhint: average the original columns of df per label, skipping missing values "
        "(pandas' mean does), not the standardised X."
    )


@test_case(name="profile_clusters works for other data and labels", points=2, hidden=True)
def other_data(profile_clusters):
    df, labels = _hidden_case()
    k = int(labels.max()) + 1
    profile = profile_clusters(df.copy(), labels.copy())
    assert isinstance(profile, pd.DataFrame) and list(profile.index) == list(range(k)), (
        "on other data the profile is not indexed by the cluster ids 0..k-1, in order\n"
        "hint: group by the labels you are given."
    )
    sizes_ok = "size" in profile.columns and np.array_equal(
        _column(profile, "size"), np.bincount(labels, minlength=k)
    )
    assert sizes_ok and not _mean_problems(profile, df, labels, k), (
        "on other data (rows in another order, with another index) the sizes or means do "
        "not match the labels\nhint: use the labels in the order of the rows of df; compute "
        "everything from the df you are given."
    )


_hidden_MEMO = {}


def _hidden_case():
    """A variant of the data (5 segments), rows shuffled, with the grader's K-means labels
    renumbered so that the ids do not follow the order of first appearance."""
    if "case" in _hidden_MEMO:
        return _hidden_MEMO["case"]
    from sklearn.cluster import KMeans

    df = shared._hidden_variant(5).copy()
    order = np.random.default_rng(23).permutation(len(df))
    df = df.iloc[order]
    df.index = pd.Index([f"r{i}" for i in order])
    X = shared.preprocessed(df)
    labels = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(X)
    labels = np.array([3, 0, 4, 1, 2])[labels]
    labels.flags.writeable = False
    _hidden_MEMO["case"] = (df, labels)
    return df, labels
