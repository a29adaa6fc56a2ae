"""What the handwriting question files share: the kit, the digits, the student's fits, and
the checks of a fitted model that several questions make.

Loaded once per process by every question file (``_support()`` in each), so the
student's default fit is made once per submission whichever files run, and the
grader's own values once per process. Published with the public copy (``_hidden*``
names stripped) and exported with the otter zip.
"""

import functools
import importlib.util
import sys
import weakref
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist


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
    "load_digits_data",
    "fit_kmeans",
    "centroid_images",
    "map_clusters_to_digits",
    "predict_digits",
    "mapping_accuracy",
    "confusion_counts",
    "most_confused_pair",
    "cluster_sizes",
)
KIT = kit.Kit(module="handwriting", timeout=20, functions=FUNCTIONS)
"""timeout equals assignment.toml's (tests/test_graderkit.py keeps them equal)."""

MODEL_HINT = "return the fitted model itself, e.g. `return KMeans(...).fit(X)`."


STORED = Path(__file__).resolve().parent / "digits.npz"
"""scikit-learn's digits and the grader's own fits (labels, inertia) of :data:`_STORED_FITS`,
stored with the graders (hashed into the batch fingerprint; ``python
calibration/handwriting.py --store`` makes it, tests/test_handwriting_graders.py compares
it with a fresh computation), so that a grading process need not import scikit-learn:
about 1 s of every `clusterlab check`, and of every batch worker. Where it is missing (the
student bundle), everything is computed."""

_STORED_FITS = {("digits", 10): "10"}
"""(dataset function's name, k) -> the suffix of its labels and inertia in :data:`STORED`."""


def _stored_fits() -> dict:
    """:data:`_STORED_FITS` and the hidden data's entries (not in the public copy)."""
    return {**_STORED_FITS, **globals().get("_hidden_stored_fits", {})}


@functools.cache
def _stored():
    if not STORED.is_file():
        return None
    with np.load(STORED, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def compute_stored() -> dict:
    """What :data:`STORED` holds, computed: the digits as bytes, and the k=10 fit."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    stored = {"X": X.astype(np.uint8), "y": y.astype(np.uint8)}
    for (name, k), suffix in _stored_fits().items():
        labels, inertia = _fit(globals()[name]()[0], k)
        stored[f"labels{suffix}"] = labels.astype(np.int32)
        stored[f"inertia{suffix}"] = np.array(inertia)
    return stored


@functools.cache
def digits():
    """The grader's own copy of the digits (read-only)."""
    stored = _stored()
    if stored is not None:
        X, y = stored["X"], stored["y"]
    else:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
    X, y = X.astype(float), y.astype(int)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _fit(X, k):
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
    return model.labels_.astype(int), float(model.inertia_)


def default_fit(fit_kmeans):
    """The student's ``fit_kmeans(X, n_clusters=10, random_state=0)`` on the digits, made
    once per submission for every question file (its exception too)."""
    X, _ = digits()
    return KIT.memo.call("default", fit_kmeans, X.copy(), n_clusters=10, random_state=0)


@functools.cache
def reference_fit(dataset, k):
    """The grader's own KMeans(k, n_init=10, random_state=0) on ``dataset()``: (labels,
    inertia), once per process for every question file (those of :func:`_stored_fits`
    read from :data:`STORED`)."""
    suffix = _stored_fits().get((dataset.__name__, k))
    stored = _stored() if suffix else None
    if stored is not None and f"inertia{suffix}" in stored:
        labels, inertia = stored[f"labels{suffix}"].astype(int), float(stored[f"inertia{suffix}"])
    else:
        labels, inertia = _fit(dataset()[0], k)
    labels.flags.writeable = False
    return labels, inertia


_PER_MODEL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""model -> what the graders read from it or computed on it, kept while the model lives
(one submission: the memo holds its models)."""


def _store(model) -> dict:
    try:
        return _PER_MODEL.setdefault(model, {})
    except Exception:  # plain data (a dict, an array, a tuple), or under otter an object
        return {}  # whose own __hash__ fails: nothing to keep it by, read it every time


def read(model, attr):
    """``model.<attr>``, read once per model: every read of a sandboxed model is a round
    trip, and every check reads the same fitted model. AttributeError is remembered (and
    raised again) too; anything else is raised and not remembered. An array comes back as
    a read-only copy, so that no check changes what the next one reads."""
    store = _store(model)
    if ("read", attr) not in store:
        try:
            value = getattr(model, attr)
        except AttributeError as exc:
            store["read", attr] = (False, exc)
        else:
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.flags.writeable = False
            store["read", attr] = (True, value)
    found, value = store["read", attr]
    if not found:
        raise value
    return value


def has(model, attr) -> bool:
    """``hasattr(model, attr)``, through :func:`read` (the value is then kept for the check)."""
    try:
        read(model, attr)
    except AttributeError:
        return False
    return True


def per_model(model, key, make):
    """``make()``, a value the graders compute on ``model`` alone, once per model (an
    exception is not remembered: the next case computes and raises it again)."""
    store = _store(model)
    if ("made", key) not in store:
        store["made", key] = make()
    return store["made", key]


def attribute(model, attr):
    """``model.<attr>`` as a numeric array; a readable failure if it has no such attribute."""
    try:
        value, found = read(model, attr), True
    except AttributeError:
        value, found = None, False
    check(found, f"the object fit_kmeans returned has no attribute `{attr}`", hint=MODEL_HINT)
    value = np.asarray(value)
    check(value.dtype.kind in "biuf", f"`{attr}` holds {value.dtype} values; expected numbers")
    return value


def fitted(model, n, d, where=""):
    """Centres (k, d) and labels (n,) of ``model``, for whatever k it has, checked to be
    usable together (label i is row i of the centres).

    ``where`` describes hidden data; its messages then leave out the shapes.
    """
    centres = attribute(model, "cluster_centers_").astype(float)
    labels = attribute(model, "labels_")
    if where:
        check(
            centres.ndim == 2 and centres.shape[1] == d and labels.shape == (n,),
            f"{where}, cluster_centers_ or labels_ does not have the right shape",
            hint="use the X you are given; do not fix its size or 64 pixels.",
        )
    check(
        centres.ndim == 2 and centres.shape[1] == d and len(centres) >= 1,
        f"cluster_centers_ has shape {centres.shape}; expected one row of {d} pixels per cluster",
        expected=f"(n_clusters, {d})",
        actual=centres.shape,
        hint="rows are clusters, columns are pixels. Did you transpose?",
    )
    check(
        labels.shape == (n,),
        f"labels_ has shape {labels.shape}; expected one label per image",
        expected=(n,),
        actual=labels.shape,
        hint="one label per row of X. Did you fit on X.T?",
    )
    check(
        np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < len(centres),
        f"{where or 'on the digits'}, labels_ holds values that are not cluster ids "
        "0..n_clusters-1",
        hint="label i must be the row of cluster_centers_ for cluster i.",
    )
    return centres, labels.astype(int)


def centres_of(model, hidden=False):
    """``model.cluster_centers_`` as a float array of one row of 64 pixels per cluster, for
    the helpers' checks (q4, q5). For a model fitted on hidden data the message leaves out
    the shape."""
    assert has(model, "cluster_centers_"), (
        "the object fit_kmeans returned has no attribute `cluster_centers_`\n"
        "hint: return the fitted model itself, e.g. `return KMeans(...).fit(X)`."
    )
    centres = np.asarray(read(model, "cluster_centers_"), dtype=float)
    shape = "does not have" if hidden else f"has shape {centres.shape}; expected"
    assert centres.ndim == 2 and centres.shape[1] == 64, (
        f"cluster_centers_ {shape} one row of 64 pixels per cluster\n"
        "hint: question q2_fit_kmeans checks fit_kmeans first; fix those cases."
    )
    return centres


def distinct_rows(centres):
    """Number of distinct centres (rows equal up to 1e-9 count once)."""
    return len(np.unique(np.round(np.asarray(centres, dtype=float), 9), axis=0))


@functools.lru_cache(maxsize=32)
def _cluster_counts(centres_key, labels_key):
    """Distinct centres and distinct labels, once per fit (every case of a fit asks)."""
    (shape, raw), (dtype, labels) = centres_key, labels_key
    centres = np.frombuffer(raw).reshape(shape)
    return distinct_rows(centres), len(np.unique(np.frombuffer(labels, dtype=dtype)))


def require_clusters(centres, labels, where="your fit"):
    """A property of a clustering can only be judged on one: more than one distinct centre
    and labels that vary. Otherwise the check is not judged (and earns nothing)."""
    centres = np.ascontiguousarray(centres, dtype=float)
    labels = np.ascontiguousarray(labels)
    n_centres, n_labels = _cluster_counts(
        (centres.shape, centres.tobytes()), (labels.dtype.str, labels.tobytes())
    )
    if n_centres < 2 or n_labels < 2:
        not_judged(
            f"{where} has {n_centres} distinct centre{'s' * (n_centres != 1)} and "
            f"{n_labels} distinct label{'s' * (n_labels != 1)}: this property needs a clustering "
            "into more than one cluster"
        )


def nearest(X, centres):
    """Index of the nearest centre of each row (squared Euclidean distance; ties: first)."""
    distances = (
        np.sum(X**2, axis=1)[:, None] - 2 * X @ centres.T + np.sum(centres**2, axis=1)[None, :]
    )
    return np.argmin(distances, axis=1)


def inertia_of(X, centres, labels):
    """Sum of squared distances of each row of X to its assigned centre."""
    return float(np.sum((X - centres[labels]) ** 2))


def stale_fraction(X, centres, labels):
    """Share of rows whose label is not their nearest centre (a tie counts as nearest)."""
    d = cdist(X, centres, "sqeuclidean")  # exact differences, like the sum over (X - c) ** 2
    own = d[np.arange(len(X)), labels]
    return float(np.mean(own > d.min(axis=1) * (1 + 1e-9) + 1e-9))


def moved_fraction(X, labels):
    """Share of rows that one more K-means step (centres = member means, then reassign)
    moves to another cluster."""
    ids = np.unique(labels)
    means = np.stack([X[labels == i].mean(axis=0) for i in ids])
    return float(np.mean(ids[nearest(X, means)] != labels))


def majority_accuracy(labels, y):
    """Label-mapping accuracy: every cluster named after its most frequent digit."""
    counts = np.zeros((labels.max() + 1, 10), dtype=int)
    np.add.at(counts, (labels, y), 1)
    return float(counts.max(axis=1).sum() / len(y))


@functools.cache
def seed_rows():
    """100 of the digits (public): the data of the seed checks. Their properties are exact
    (the same labels, or not) and separate every calibrated variant on 100 rows as on 200
    (docs/calibration/handwriting.md, seed checks); on fewer rows a fit costs mostly
    scikit-learn's fixed cost per run, so 100 rows are about a quarter cheaper than 200."""
    X, _ = digits()
    X = X[np.random.default_rng(1_234).choice(len(X), size=100, replace=False)]
    X.flags.writeable = False
    return X


def seed_labels(fit_kmeans):
    """labels_ of the student's fit of :func:`seed_rows` with random_state=0, as data,
    once per submission (compared again after a fresh import by q5's last hidden check)."""
    return KIT.memo.derived(
        "seed rows",
        fit_kmeans,
        lambda: attribute(fit_kmeans(seed_rows().copy(), n_clusters=10, random_state=0), "labels_"),
    )


@functools.cache
def _hidden_subset():
    """1,000 of the digits, drawn at random and kept in the order drawn: another n, another
    order of the rows (q3 judges both on one fit), and another n_clusters."""
    X, y = digits()
    rows = np.random.default_rng(99_102).choice(len(X), size=1000, replace=False)
    X, y = X[rows], y[rows]
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


@functools.cache
def _hidden_rest():
    """The 797 digits that are not in :func:`_hidden_subset` (new images for its model)."""
    X, y = digits()
    rows = np.ones(len(X), dtype=bool)
    rows[np.random.default_rng(99_102).choice(len(X), size=1000, replace=False)] = False
    X, y = X[rows], y[rows]
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


_hidden_stored_fits = {("_hidden_subset", 12): "_subset12"}
"""The grader's k=12 fit of :func:`_hidden_subset` is stored too (its inertia is q3's limit)."""


def _hidden_subset_fit(fit_kmeans):
    """The student's 12-cluster fit of :func:`_hidden_subset`, once per submission: judged
    by q3 for the order of its rows and for convergence, and the "other model" of q4 and q5
    (another n, another k)."""
    X, _ = _hidden_subset()
    return KIT.memo.call("subset", fit_kmeans, X.copy(), n_clusters=12, random_state=5)
