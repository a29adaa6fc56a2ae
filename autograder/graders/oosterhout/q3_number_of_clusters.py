"""Q3: elbow inertias, silhouettes and choose_k: how many segments are there?"""

import functools
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

OK_FORMAT = False
name = "q3_number_of_clusters"

# A check that cannot be judged without the default call of these student functions
# (memoised: shared.KIT.memo) is not run once that call failed: one explanation, not many.
DEPENDS = {
    "elbow_shape": ["elbow_inertias"],
    "elbow_decreasing": ["elbow_inertias"],
    "elbow_values": ["elbow_inertias"],
    "elbow_other": ["elbow_inertias"],
    "silhouette_shape": ["silhouette_by_k"],
    "silhouette_values": ["silhouette_by_k"],
    "silhouette_other": ["silhouette_by_k"],
    "choose_best": ["choose_k"],
    "choose_planted": ["choose_k"],
    "choose_three": ["choose_k"],
    "choose_five": ["choose_k"],
    "choose_subset": ["choose_k"],
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
ELBOW_KS = [1, 2, 3, 4, 5, 6, 7, 8]
SILHOUETTE_KS = [3, 4, 5]
CHOOSE_KS = [2, 3, 4, 5, 6, 7, 8]
PLANTED_K = 4  # the shipped data has 4 planted segments (datasets/oosterhout/DATACARD.md)

ELBOW_RTOL = 0.01
"""Largest relative gap between a student's inertia and the grader's KMeans(n_init=10) fit
with the same random_state. Calibrated: legitimate variants <= 3.6e-15, bugs >= 0.032
(MiniBatchKMeans; a single run, n_init=1, >= 0.046); see docs/calibration/oosterhout.md,
table "elbow"."""

ELBOW_RISE_TOL = 1e-6
"""Largest relative rise of the inertia from one k to the next. Calibrated: legitimate
variants never rise (largest ratio of consecutive inertias 0.956); see
docs/calibration/oosterhout.md, table "elbow"."""

SILHOUETTE_ATOL = 0.001
"""Largest absolute gap between a student's silhouette and the grader's. Calibrated:
legitimate variants 0 (same labels, same formula), bugs >= 0.0087 (silhouette of a
200-row sample); see docs/calibration/oosterhout.md, table "silhouette"."""


class _Data:
    """An array that can be a functools cache key: hashed and compared by its bytes."""

    def __init__(self, X):
        self.X = np.array(X, dtype=float, order="C")  # a copy: the student's stays writable
        self.X.flags.writeable = False
        self.key = (self.X.shape, hashlib.sha256(self.X.tobytes()).hexdigest())

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _Data) and self.key == other.key


@functools.lru_cache(maxsize=128)
def _reference_fit(data, k, random_state):
    """Inertia and labels of the grader's KMeans(k, n_init=10) on ``data``."""
    model = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(data.X)
    return float(model.inertia_), model.labels_


@functools.lru_cache(maxsize=128)
def _reference_silhouette(data, k, random_state):
    return float(silhouette_score(data.X, _reference_fit(data, k, random_state)[1]))


def _reference_best(data, k_values, random_state=0):
    """The k of the highest reference silhouette (ties: the smallest k)."""
    scores = {k: _reference_silhouette(data, k, random_state) for k in k_values}
    best = max(scores.values())
    return min(k for k, s in scores.items() if s == best)


def _inertias(value, k_values, hidden=False):
    """The student's inertias as a float vector of len(k_values), or a failed check."""
    inertias = shared.as_matrix(value)
    ok = inertias is not None and inertias.shape == (len(k_values),)
    if hidden:
        assert ok and np.isfinite(inertias).all(), (
            "on other data elbow_inertias did not return one number per k in k_values\n"
            "hint: append model.inertia_ for each k, in the order of k_values."
        )
    assert ok and np.isfinite(inertias).all(), (
        f"elbow_inertias returned {type(value).__name__} {_short(value)}; expected a list of "
        f"{len(k_values)} numbers, one inertia per k in {k_values}\n"
        "hint: append model.inertia_ for each k, in the order of k_values."
    )
    return inertias


def _scores(value, k_values, hidden=False):
    """The student's silhouettes as {k: float} for exactly k_values, or a failed check."""
    assert isinstance(value, dict), (
        f"silhouette_by_k returned {type(value).__name__}; expected a dict k -> score\n"
        "hint: scores[k] = silhouette_score(X, labels)."
    )
    keys = sorted(value, key=str)
    right_keys = sorted(map(str, keys)) == sorted(map(str, k_values)) and all(
        _is_int(k) for k in keys
    )
    if hidden:
        assert right_keys, (
            "on other data the keys of silhouette_by_k's dict are not the k values it was given\n"
            "hint: use each k itself as the key, not its position."
        )
    assert right_keys, (
        f"silhouette_by_k returned the keys {keys}; expected the k values {k_values}\n"
        "hint: use each k itself as the key, not its position."
    )
    scores = {int(k): shared.as_matrix(v) for k, v in value.items()}
    bad = [k for k, v in scores.items() if v is None or v.shape != () or not -1 <= v <= 1]
    if hidden:
        assert not bad, "on other data silhouette_by_k gave a score that is not a number in [-1, 1]"
    assert not bad, (
        f"the silhouette for k={bad[0]} is {value[_key(value, bad[0])]!r}; expected one number "
        "from -1 to 1\nhint: silhouette_score(X, labels) returns the mean over all rows."
    )
    return {k: float(v) for k, v in scores.items()}


def _key(mapping, k):
    return next(key for key in mapping if str(key) == str(k))


def _is_int(value):
    v = shared.as_matrix(value)
    return v is not None and v.shape == () and float(v) == int(v)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _chosen(choose_k, X):
    value = shared.KIT.memo.call("default", choose_k, X)
    assert _is_int(value), (
        f"choose_k returned {_short(value)}; expected a whole number k\n"
        "hint: return the k itself, not its silhouette or its position in k_values."
    )
    return int(shared.as_matrix(value))


# ----------------------------------------------------------------------------- elbow


def _elbow(elbow_inertias):
    X = shared.shipped_X().copy()
    value = shared.KIT.memo.call("default", elbow_inertias, X, list(ELBOW_KS))
    return X, _inertias(value, ELBOW_KS)


@test_case(name="elbow_inertias returns one inertia per k", points=1)
def elbow_shape(elbow_inertias):
    _elbow(elbow_inertias)


@test_case(name="the inertia goes down as k grows", points=1)
def elbow_decreasing(elbow_inertias):
    _, inertias = _elbow(elbow_inertias)
    assert inertias[-1] < inertias[0], (
        f"the inertia is {inertias[0]:,.1f} at k={ELBOW_KS[0]} and {inertias[-1]:,.1f} at "
        f"k={ELBOW_KS[-1]}; with more clusters the rows are closer to their centres\n"
        "hint: append model.inertia_ of a KMeans(n_clusters=k) fit for each k."
    )
    for i in range(len(ELBOW_KS) - 1):
        a, b = inertias[i], inertias[i + 1]
        assert b <= a * (1 + ELBOW_RISE_TOL), (
            f"the inertia rises from {a:,.1f} at k={ELBOW_KS[i]} to {b:,.1f} at "
            f"k={ELBOW_KS[i + 1]}\nhint: fit KMeans with n_init=10 on the same X for every k."
        )


@test_case(name="the inertias match K-means with n_init=10", points=2)
def elbow_values(elbow_inertias):
    X, inertias = _elbow(elbow_inertias)
    data = _Data(X)
    for k, inertia in zip(ELBOW_KS, inertias, strict=True):
        expected = _reference_fit(data, k, 0)[0]
        assert abs(inertia - expected) <= ELBOW_RTOL * expected, (
            f"at k={k} your inertia is {inertia:,.1f}; KMeans(n_clusters={k}, n_init=10, "
            f"random_state=0) on the same X reaches {expected:,.1f}\n"
            "hint: report model.inertia_ of KMeans(n_clusters=k, n_init=10, "
            "random_state=random_state) fitted on X as given."
        )


@test_case(
    name="elbow_inertias follows the k values and random_state it is given",
    points=1,
    hidden=True,
)
def elbow_other(elbow_inertias):
    data = _hidden_data(5)
    k_values, random_state = [6, 2, 4], 3
    value = elbow_inertias(data.X.copy(), k_values, random_state)
    inertias = _inertias(value, k_values, hidden=True)
    expected = np.array([_reference_fit(data, k, random_state)[0] for k in k_values])
    assert np.all(np.abs(inertias - expected) <= ELBOW_RTOL * expected), (
        "on other data, with k values not in increasing order, your inertias do not match "
        "K-means with n_init=10\nhint: return the inertias in the order of k_values and pass "
        "random_state on to KMeans."
    )


# ------------------------------------------------------------------------ silhouette


def _silhouettes(silhouette_by_k):
    X = shared.shipped_X().copy()
    value = shared.KIT.memo.call("default", silhouette_by_k, X, list(SILHOUETTE_KS))
    return X, _scores(value, SILHOUETTE_KS)


@test_case(name="silhouette_by_k returns one score per k", points=1)
def silhouette_shape(silhouette_by_k):
    _silhouettes(silhouette_by_k)


@test_case(name="the silhouettes match those of the K-means labels", points=2)
def silhouette_values(silhouette_by_k):
    X, scores = _silhouettes(silhouette_by_k)
    data = _Data(X)
    for k in SILHOUETTE_KS:
        expected = _reference_silhouette(data, k, 0)
        assert abs(scores[k] - expected) <= SILHOUETTE_ATOL, (
            f"at k={k} your silhouette is {scores[k]:.4f}; the labels of KMeans(n_clusters={k}, "
            f"n_init=10, random_state=0) give {expected:.4f}\n"
            "hint: silhouette_score(X, labels) on all rows of X, with the labels of a "
            "KMeans(n_init=10) fit."
        )


@test_case(name="silhouette_by_k works on other data", points=1, hidden=True)
def silhouette_other(silhouette_by_k):
    data = _hidden_data(3)
    k_values, random_state = [2, 3, 6], 1
    value = silhouette_by_k(data.X.copy(), k_values, random_state)
    scores = _scores(value, k_values, hidden=True)
    gaps = [abs(scores[k] - _reference_silhouette(data, k, random_state)) for k in k_values]
    assert max(gaps) <= SILHOUETTE_ATOL, (
        "on other data your silhouettes do not match those of the K-means labels\n"
        "hint: fit KMeans(n_clusters=k, n_init=10, random_state=random_state) for each k."
    )


# -------------------------------------------------------------------------- choose_k


@test_case(name="choose_k returns the k with the highest silhouette", points=1)
def choose_best(choose_k):
    X = shared.shipped_X().copy()
    chosen = _chosen(choose_k, X)
    data = _Data(X)
    best = _reference_best(data, CHOOSE_KS)
    assert chosen == best, (
        f"choose_k returned {chosen}; the silhouette of the K-means labels is highest at "
        f"k={best} ({_reference_silhouette(data, best, 0):.3f}"
        + (
            f", k={chosen} has {_reference_silhouette(data, chosen, 0):.3f})"
            if chosen in CHOOSE_KS
            else f"; {chosen} is not one of {CHOOSE_KS})"
        )
        + "\nhint: return the k whose silhouette is highest (not the lowest inertia)."
    )


@test_case(name="choose_k finds the planted segments in the Oosterhout data", points=2)
def choose_planted(choose_k):
    chosen = _chosen(choose_k, shared.shipped_X().copy())
    assert chosen == PLANTED_K, (
        f"choose_k returned {chosen}; the data has {PLANTED_K} planted segments\n"
        "hint: choose the k with the highest silhouette score."
    )


def _hidden_choose_other(choose_k, k):
    data = _hidden_data(k)
    chosen = choose_k(data.X.copy(), list(_hidden_CHOOSE_KS[k]))
    assert _is_int(chosen) and int(shared.as_matrix(chosen)) == k, (
        f"on other data with {k} planted segments choose_k did not return {k}\n"
        "hint: compute the silhouette for each k in k_values and return the best k."
    )


@test_case(name="choose_k finds 3 planted segments in other data", points=2, hidden=True)
def choose_three(choose_k):
    _hidden_choose_other(choose_k, 3)


@test_case(name="choose_k finds 5 planted segments in other data", points=2, hidden=True)
def choose_five(choose_k):
    _hidden_choose_other(choose_k, 5)


@test_case(name="choose_k only considers the k values it is given", points=1, hidden=True)
def choose_subset(choose_k):
    data = _hidden_data(5)
    k_values = list(_hidden_SUBSET_KS)
    chosen = choose_k(data.X.copy(), k_values)
    assert _is_int(chosen) and int(shared.as_matrix(chosen)) == _reference_best(data, k_values), (
        "given a short list of k values, choose_k did not return the best of them\n"
        "hint: loop over the k_values argument instead of a fixed range."
    )


_hidden_CHOOSE_KS = {3: (2, 3, 4, 5), 5: (3, 4, 5, 6, 7)}
"""k values of the planted-segment checks: around the planted k (whose silhouette is the
highest over 2..8, docs/calibration/oosterhout.md "The planted structure"): fewer fits
than range(2, 9) for the same verdict."""

_hidden_SUBSET_KS = (2, 3, 6, 7)
"""k values of the subset check on the 5-segment variant: neither the planted 5 (what a
choose_k that ignores k_values finds) nor the shipped data's 4 (what a hard-coded answer
gives) is among them; the best of them, 6, leads 7 by 0.011."""


@functools.cache
def _hidden_data(k):
    """The grader's preprocessing of a variant of the data with k planted segments."""
    return _Data(shared.preprocessed(shared._hidden_variant(k)))
