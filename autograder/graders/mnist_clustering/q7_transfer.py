"""Q7: label unseen images with KNN trained on the cluster-derived digits; accuracy."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q7_transfer"


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

# Calibrated in docs/calibration/mnist_clustering.md.
MIN_TRANSFER_ACCURACY = 0.55  # KNN(5) on the cluster-derived digits, 1,000 held-out images
MIN_AGREEMENT = 0.9  # share of predictions equal to the grader's own KNN on other data

DEPENDS = {
    "held_out_accuracy": ["transfer_labels", "shapes"],
    "hidden_neighbours": ["transfer_labels", "shapes"],
    "hidden_accuracy": ["accuracy"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS): a
student function names its default call, memoised in support/_shared.py (the case that
makes it explains its failure once)."""


def _pipeline():
    """The grader's embedded train/test images, the test digits, and the digit each
    training image's spectral cluster was mapped to (all read-only)."""
    Z_train, Z_test = shared.embedding()
    return Z_train, Z_test, shared.split_parts()[3], shared.transfer_digits()


def _predictions(result, n, hidden=False):
    pred = np.asarray(result)
    hint = "return `knn.predict(Z_test)`."
    if hidden:
        check(
            pred.shape == (n,),
            "transfer_labels returned an array that does not have one digit per test row",
            hint=hint,
        )
    check(
        pred.shape == (n,),
        "transfer_labels did not return one digit per test row",
        expected=(n,),
        actual=pred.shape,
        hint=hint,
    )
    check(
        pred.dtype.kind in "iu" or (pred.dtype.kind == "f" and np.all(pred == np.round(pred))),
        f"transfer_labels returned values of dtype {pred.dtype}; expected integer digits",
    )
    return pred.astype(int)


@test_case(name="transfer_labels returns one integer digit per test row", points=2)
def shapes(transfer_labels):
    Z_train, Z_test, _, digits = _pipeline()
    result = shared.KIT.memo.call(
        "default", transfer_labels, Z_train[:300].copy(), digits[:300].copy(), Z_test[:40].copy()
    )
    _predictions(result, 40)


@test_case(
    name="transfer_labels labels the held-out images: accuracy of KNN on cluster digits", points=5
)
def held_out_accuracy(transfer_labels):
    Z_train, Z_test, y_test, digits = _pipeline()
    pred = _predictions(transfer_labels(Z_train.copy(), digits.copy(), Z_test.copy()), len(Z_test))
    acc = float(np.mean(pred == y_test))
    check(
        acc >= MIN_TRANSFER_ACCURACY,
        f"accuracy {acc:.3f} on the 1,000 held-out images is below the required "
        f"{MIN_TRANSFER_ACCURACY}",
        hint="fit `KNeighborsClassifier(n_neighbors)` on Z_train with train_digits, then "
        "predict Z_test.",
    )


@functools.cache
def _hidden_problem():
    """Overlapping classes in 4 dimensions, where 1 and 9 neighbours disagree often."""
    rng = np.random.default_rng(99)
    centres = rng.normal(scale=1.2, size=(4, 4))
    y = rng.integers(0, 4, 300)
    Z = centres[y] + rng.normal(size=(300, 4))
    Z_new = rng.normal(scale=1.6, size=(120, 4))
    for array in (Z, y, Z_new):
        array.flags.writeable = False
    return Z, y * 2 + 1, Z_new


@functools.cache
def _hidden_reference(k):
    from sklearn.neighbors import KNeighborsClassifier

    Z, y, Z_new = _hidden_problem()
    return KNeighborsClassifier(n_neighbors=k).fit(Z, y).predict(Z_new)


@test_case(name="transfer_labels honours n_neighbors on other data", points=4, hidden=True)
def hidden_neighbours(transfer_labels):
    Z, y, Z_new = _hidden_problem()
    for k in (1, 9):
        pred = _predictions(
            transfer_labels(Z.copy(), y.copy(), Z_new.copy(), n_neighbors=k), len(Z_new), True
        )
        agreement = float(np.mean(pred == _hidden_reference(k)))
        check(
            agreement >= MIN_AGREEMENT,
            "on other data your predictions differ from a KNN classifier with the n_neighbors "
            "you were given",
            hint="pass n_neighbors on to KNeighborsClassifier.",
        )


@test_case(name="accuracy gives the share of equal entries", points=2)
def public_accuracy(accuracy):
    y_true, y_pred = np.array([3, 1, 4, 1, 5, 9, 2, 6]), np.array([3, 1, 4, 0, 5, 0, 2, 0])
    got = shared.KIT.memo.call("default", accuracy, y_true, y_pred)
    check(
        isinstance(got, float | np.floating) and abs(float(got) - 0.625) < 1e-9,
        "accuracy does not give the share of equal entries (5 of 8 entries are equal)",
        expected=0.625,
        actual=repr(got),
        hint="`np.mean(y_true == y_pred)`.",
    )


@test_case(name="accuracy works on other inputs", points=2, hidden=True)
def hidden_accuracy(accuracy):
    rng = np.random.default_rng(12)
    y_true = rng.integers(0, 10, 37)
    y_pred = np.where(rng.random(37) < 0.4, y_true, (y_true + 1) % 10)
    got = accuracy(y_true.copy(), y_pred.copy())
    expected = float(np.mean(y_true == y_pred))
    ok = isinstance(got, float | np.floating) and abs(float(got) - expected) < 1e-9
    check(
        ok,
        "on other digits accuracy does not give the share of equal entries",
        hint="divide the number of equal entries by the number of entries.",
    )
