"""Q1: load the digits."""

import importlib.util
import sys
import weakref
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_load_data"


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

_LOADED = weakref.WeakKeyDictionary()


_digits = shared.digits


def _loaded(load_digits_data):
    """The student's ``(X, y)``, loaded once per submission and checked to be a pair."""
    if load_digits_data not in _LOADED:
        _LOADED[load_digits_data] = load_digits_data()
    result = _LOADED[load_digits_data]
    assert isinstance(result, tuple | list) and len(result) == 2, (
        f"load_digits_data returned {type(result).__name__}; expected a pair (X, y)\n"
        "hint: end with `return X, y`."
    )
    return np.asarray(result[0]), np.asarray(result[1])


@test_case(name="load_digits_data returns X of shape (1797, 64) and y of shape (1797,)", points=2)
def shapes(load_digits_data):
    X, y = _loaded(load_digits_data)
    assert X.shape == (1797, 64), (
        f"X has shape {X.shape}; expected (1797, 64)\n"
        "hint: use the flat pixels (`digits.data`), one row of 64 pixels per image."
    )
    assert y.shape == (1797,), (
        f"y has shape {y.shape}; expected (1797,)\nhint: y is `digits.target`, one digit per image."
    )


@test_case(name="load_digits_data returns float pixels 0..16 and integer digits 0..9", points=2)
def dtypes_and_ranges(load_digits_data):
    X, y = _loaded(load_digits_data)
    assert X.dtype.kind == "f", (
        f"X has dtype {X.dtype}; expected a float array\nhint: `X.astype(float)`."
    )
    assert y.dtype.kind in "iu", (
        f"y has dtype {y.dtype}; expected an integer array\nhint: `y.astype(int)`."
    )
    if X.size:
        assert X.min() >= 0 and X.max() <= 16, (
            f"X has values from {X.min():g} to {X.max():g}; expected the raw pixels 0..16\n"
            "hint: do not scale the pixels when you load them."
        )
    if y.size:
        assert y.min() >= 0 and y.max() <= 9, (
            f"y has values from {y.min()} to {y.max()}; expected digits 0..9"
        )


@test_case(
    name="load_digits_data returns the scikit-learn digits in their original order", points=2
)
def same_as_sklearn(load_digits_data):
    X, y = _loaded(load_digits_data)
    X_ref, y_ref = _digits()
    assert X.shape == X_ref.shape and y.shape == y_ref.shape, (
        f"X has shape {X.shape} and y {y.shape}; expected (1797, 64) and (1797,)"
    )
    rows = int(np.sum(np.any(X != X_ref, axis=1)))
    assert rows == 0, (
        f"{rows} of 1797 rows of X differ from `load_digits().data`\n"
        "hint: return the images unchanged and in their original order (no shuffling, no scaling)."
    )
    wrong = int(np.sum(y != y_ref))
    assert wrong == 0, (
        f"{wrong} of 1797 entries of y differ from `load_digits().target`\n"
        "hint: y must stay aligned with the rows of X."
    )
