"""Q2: a PCA embedding fitted on the training rows only."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case
from sklearn.decomposition import PCA

OK_FORMAT = False
name = "q2_embed"


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

# Calibrated in docs/calibration/mnist_clustering.md: the variance Z_train keeps, as a share
# of what the training rows' own top principal components keep.
MIN_VARIANCE_SHARE = 0.95

DEPENDS = {
    "principal_components": ["embed", "shapes"],
    "never_sees_test_rows": ["embed", "shapes"],
    "hidden_components": ["embed", "shapes"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS): a
student function names its default call, memoised in support/_shared.py (the case that
makes it explains its failure once)."""


@functools.cache
def _captured(seed, n_train, n_test, n_components):
    """Variance kept by the top ``n_components`` principal components of the training rows."""
    a, _ = shared.embed_rows(seed, n_train, n_test)
    return float(np.sum(PCA(n_components, svd_solver="full").fit(a).explained_variance_))


def _variance_share(Z_train, seed, n_train, n_test, k):
    return float(np.sum(np.var(Z_train, axis=0, ddof=1))) / _captured(seed, n_train, n_test, k)


def _require_varying(Z_train):
    if not np.ptp(Z_train, axis=0).max() > 0:
        shared.not_judged(
            "every row of your Z_train is the same: this check needs an embedding that "
            "tells the images apart"
        )


@test_case(name="embed returns Z_train and Z_test with n_components columns", points=2)
def shapes(embed):
    shared.default_embedding(embed)


@test_case(name="embed keeps the variance of the training rows' principal components", points=4)
def principal_components(embed):
    Z_train, _ = shared.default_embedding(embed)
    share = _variance_share(Z_train, 1, 600, 150, 50)
    check(
        MIN_VARIANCE_SHARE <= share <= 1.001,
        f"the 50 columns of Z_train keep {share:.1%} of the variance that the training rows' "
        f"top 50 principal components keep; expected at least {MIN_VARIANCE_SHARE:.0%} "
        "and at most 100%",
        hint="fit `PCA(n_components)` on X_train as given (no scaling) and use its transform.",
    )


@test_case(name="embed fits the PCA on the training rows only", points=4)
def never_sees_test_rows(embed):
    a, b = shared.embed_rows(1, 600, 150)
    Z_train, Z_test = shared.default_embedding(embed)
    _require_varying(Z_train)
    _, other = shared.embed_rows(2, 600, 150)
    mixed = np.vstack([b[:50], other[:100]])
    Z_train2, Z_test2 = shared.embedded(embed(a.copy(), mixed), 600, 150, 50)
    scale = float(np.abs(Z_train).max())
    check(
        np.allclose(Z_train2, Z_train, atol=1e-6 * scale),
        "Z_train changed when only the test images changed: your PCA has seen the test rows",
        hint="fit the PCA on X_train alone, then transform X_train and X_test.",
    )
    check(
        np.allclose(Z_test2[:50], Z_test[:50], atol=1e-6 * scale),
        "the same test image got another embedding when the other test images changed",
        hint="transform X_test with the PCA fitted on X_train, row by row.",
    )


@test_case(name="embed honours n_components on other images", points=4, hidden=True)
def hidden_components(embed):
    a, b = shared.embed_rows(7, 300, 40)
    result = embed(a.copy(), b.copy(), n_components=7, random_state=3)
    Z_train, _ = shared.embedded(result, 300, 40, 7, hidden=True)
    share = _variance_share(Z_train, 7, 300, 40, 7)
    check(
        MIN_VARIANCE_SHARE <= share <= 1.001,
        "on other images with another n_components, Z_train does not keep the variance of the "
        "top principal components of the training rows",
        hint="pass n_components on to PCA and fit it on X_train as given.",
    )
