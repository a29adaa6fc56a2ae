"""Q2: preprocess fills, log-transforms and standardises the FEATURES columns."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False
name = "q2_preprocess"

# A check that cannot be judged without the default call of these student functions
# (memoised: shared.KIT.memo) is not run once that call failed: one explanation, not many.
DEPENDS = {
    "shape_and_type": ["preprocess"],
    "no_missing": ["preprocess"],
    "standardised": ["preprocess"],
    "median_filled": ["preprocess"],
    "log_skewed": ["preprocess"],
    "other_allocations": ["preprocess"],
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

MEAN_TOL = 1e-6
"""Largest |mean| of a standardised column. Calibrated: legitimate variants <= 1.4e-15,
bugs >= 0.50 (min-max scaling); see docs/calibration/oosterhout.md, table "preprocess"."""

STD_TOL = 2e-3
"""Largest |std - 1| (population std) of a standardised column. Calibrated: legitimate
variants <= 2.5e-4 (the sample std, ddof=1, included), bugs >= 0.024 (scaled before
imputing); see docs/calibration/oosterhout.md, table "preprocess"."""

MEDIAN_GAP_TOL = 0.02
"""Largest distance, in standard deviations of the column, between the value the missing
entries became and the median of the column's other values (and largest spread among
those filled values). Calibrated: legitimate variants <= 4.3e-6, mean, zero or
scaled-then-mean imputation >= 0.20; see docs/calibration/oosterhout.md."""

LOG_CORR_MIN = 0.9999
"""Smallest correlation between a column and the transform it must follow (log1p for
SKEWED, the raw values otherwise), on the rows without missing values. Calibrated:
legitimate variants >= 1 - 3e-15, wrong transforms <= 1 - 0.058 (log of every column);
see docs/calibration/oosterhout.md, table "preprocess"."""

PREPROCESS_TOL = 0.01
"""Largest absolute difference to the grader's own result on the hidden 5-segment data.
Calibrated: legitimate variants <= 0.0030 (ddof=1), bugs >= 0.29; see
docs/calibration/oosterhout.md, table "preprocess"."""


def _student_result(preprocess):
    """``preprocess`` of the shipped data's FEATURES columns, once per submission.

    The table is the grader's own join of the shipped files, not the student's
    ``load_data()``: a mistake in load_data costs the load_data checks only.
    """
    df = shared.shipped_features()
    return df, shared.KIT.memo.call("default", preprocess, df.copy())


def _columns(preprocess):
    """The student's result as a float matrix with one column per feature, or a failure.

    Rows may be missing (dropped gaps): the column-wise checks judge what is there.
    """
    df, value = _student_result(preprocess)
    X = shared.as_matrix(value)
    assert X is not None and X.ndim == 2 and X.shape[1] == len(FEATURES) and len(X) > 2, (
        f"preprocess returned {type(value).__name__} of shape {np.shape(value)}; expected a "
        f"float array with {len(FEATURES)} columns, so this cannot be checked yet\n"
        "hint: return one row per row of df and one column per name in FEATURES."
    )
    finite = [X[np.isfinite(X[:, j]), j] for j in range(X.shape[1])]
    flat = [FEATURES[j] for j, v in enumerate(finite) if len(v) and np.ptp(v) == 0]
    assert not flat, (
        f"column {flat[0]} of your result holds one value only ({len(flat)} of "
        f"{len(FEATURES)} columns are constant), so this cannot be judged\n"
        "hint: each column must hold the standardised values of its feature, which vary."
    )
    return df, X


def _checked(preprocess):
    """The shipped table and the student's result, a usable matrix of the right shape."""
    df, X = _columns(preprocess)
    expected = (len(df), len(FEATURES))
    assert X.shape == expected, (
        f"preprocess returned shape {X.shape}; expected {expected}, so this cannot be checked "
        "yet\nhint: keep every row; fill missing values with the median instead of dropping."
    )
    return df, X


def _raw(df, col):
    """Column ``col`` of df as floats (missing as NaN)."""
    return pd.to_numeric(pd.Series(np.asarray(df[col], dtype=object)), errors="coerce").to_numpy(
        dtype=float
    )


def _corr(a, b):
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


@test_case(name="preprocess returns a float array with one column per feature", points=2)
def shape_and_type(preprocess):
    df, value = _student_result(preprocess)
    assert isinstance(value, np.ndarray), (
        f"preprocess returned {type(value).__name__}; expected a numpy array\n"
        "hint: end with .to_numpy() if you work with a DataFrame."
    )
    expected = (len(df), len(FEATURES))
    if value.ndim == 2 and value.shape[0] < len(df):
        hint = "hint: keep every row; fill missing values with the median instead of dropping."
    else:
        hint = "hint: use exactly the columns in FEATURES, in that order."
    assert value.shape == expected, (
        f"preprocess returned shape {value.shape}; expected {expected}\n{hint}"
    )
    assert value.dtype.kind == "f", (
        f"preprocess returned values of type {value.dtype}; expected floats\n"
        "hint: convert with .astype(float)."
    )


@test_case(name="preprocess leaves no missing or infinite values", points=1)
def no_missing(preprocess):
    _, X = _columns(preprocess)
    n_nan = int(np.isnan(X).sum())
    n_inf = int(np.isinf(X).sum())
    assert n_nan == 0 and n_inf == 0, (
        f"the result holds {n_nan} missing (NaN) and {n_inf} infinite values; expected none\n"
        + "hint: fill each column with its median first, and use np.log1p: np.log(0) is "
        "-inf, which becomes NaN once you scale."
    )


@test_case(name="every feature has mean 0 and standard deviation 1", points=2)
def standardised(preprocess):
    _, X = _columns(preprocess)
    means, stds = X.mean(axis=0), X.std(axis=0)
    bad = [
        j
        for j in range(X.shape[1])
        if not (abs(means[j]) <= MEAN_TOL and abs(stds[j] - 1) <= STD_TOL)
    ]
    if bad:
        j = bad[0]
        raise AssertionError(
            f"column {FEATURES[j]} has mean {means[j]:.3g} and standard deviation {stds[j]:.3g}; "
            f"expected 0 and 1 ({len(bad)} of {X.shape[1]} columns are off)\n"
            "hint: standardise every column as the last step, after filling missing values: "
            "(x - mean) / std."
        )


def _imputation_gaps(df, X):
    """For each FEATURES column with gaps: how the student filled them.

    Returns {column: (spread, gap, filled, median)}: the range of the values the missing
    entries became and the distance of the first of them to the median of the column's
    other values, both in standard deviations of those other values.
    """
    out = {}
    for j, col in enumerate(FEATURES):
        missing = np.isnan(_raw(df, col))
        if not missing.any() or missing.all():
            continue
        filled, others = X[missing, j], X[~missing, j]
        others = others[np.isfinite(others)]
        if not len(others):
            continue
        scale = float(np.std(others)) or 1.0
        median = float(np.median(others))
        out[col] = (
            float(np.ptp(filled)) / scale,
            abs(float(filled[0]) - median) / scale,
            float(filled[0]),
            median,
        )
    return out


def _transform_corrs(df, X):
    """{column: (correlation with log1p(raw), with raw)} on the rows without gaps."""
    out = {}
    for j, col in enumerate(FEATURES):
        raw = _raw(df, col)
        rows = ~np.isnan(raw) & np.isfinite(X[:, j])
        out[col] = (_corr(X[rows, j], np.log1p(raw[rows])), _corr(X[rows, j], raw[rows]))
    return out


@test_case(name="missing values are filled with the column median", points=2)
def median_filled(preprocess):
    df, X = _checked(preprocess)
    problems = []
    for col, (spread, gap, filled, median) in _imputation_gaps(df, X).items():
        if not spread <= MEDIAN_GAP_TOL:
            problems.append(f"the missing values of {col} became different numbers")
        elif not gap <= MEDIAN_GAP_TOL:
            problems.append(
                f"the missing values of {col} became {filled:.3f}; the median of the other "
                f"values in that column is {median:.3f}"
            )
    assert not problems, (
        "\n".join(problems[:3]) + "\nhint: fill each column with its median "
        "(df[FEATURES].median()) before log1p and scaling; not with the mean, and not with 0."
    )


@test_case(name="log1p is applied to the SKEWED columns only", points=2)
def log_skewed(preprocess):
    df, X = _checked(preprocess)
    problems = []
    for col, (r_log, r_raw) in _transform_corrs(df, X).items():
        if col in SKEWED and not r_log >= LOG_CORR_MIN:
            if r_raw >= LOG_CORR_MIN:
                problems.append(f"column {col} is not log-transformed, but it is in SKEWED")
            else:
                problems.append(
                    f"column {col} follows neither {col} nor log1p({col}) (correlation {r_log:.3f})"
                )
        elif col not in SKEWED and not r_raw >= LOG_CORR_MIN:
            if r_log >= LOG_CORR_MIN:
                problems.append(f"column {col} is log-transformed, but it is not in SKEWED")
            else:
                problems.append(f"column {col} does not follow {col} (correlation {r_raw:.3f})")
    assert not problems, (
        "\n".join(problems[:3]) + "\nhint: apply np.log1p to the SKEWED columns only, keep the "
        "columns in the order of FEATURES, and scale linearly ((x - mean) / std)."
    )


@test_case(name="preprocess gives the right result on other allocations", points=2, hidden=True)
def other_allocations(preprocess):
    df = _hidden_variant()
    X = shared.as_matrix(preprocess(df.copy()))
    expected = _hidden_expected()
    assert X is not None and X.shape == expected.shape, (
        "on another set of allocations preprocess did not return one row per row of df and "
        "one column per feature"
    )
    diff = np.abs(X - expected)
    gaps = np.where(np.isnan(diff), np.inf, diff).max(axis=0)
    bad = [FEATURES[j] for j in range(len(FEATURES)) if not gaps[j] <= PREPROCESS_TOL]
    assert not bad, (
        f"on another set of allocations your result differs from the expected one in "
        f"{', '.join(bad)}\nhint: compute medians, means and standard deviations from the df "
        "you are given, not from the shipped data."
    )


_hidden_MEMO = {}


def _hidden_variant():
    """A variant of the data (5 planted segments), rows shuffled, a non-default index."""
    if "df" in _hidden_MEMO:
        return _hidden_MEMO["df"]
    df = shared._hidden_variant(5).copy()
    order = np.random.default_rng(11).permutation(len(df))
    df = df.iloc[order]
    df.index = 10_000 + order[::-1]
    _hidden_MEMO["df"] = df
    return df


_hidden_reference = shared.preprocessed


def _hidden_expected():
    """The grader's preprocessing of :func:`_hidden_variant`, once per process."""
    if "expected" not in _hidden_MEMO:
        expected = _hidden_reference(_hidden_variant())
        expected.flags.writeable = False
        _hidden_MEMO["expected"] = expected
    return _hidden_MEMO["expected"]
