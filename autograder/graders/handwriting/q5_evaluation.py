"""Q5: predict digits, measure the accuracy, and find the digits K-means confuses."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q5_evaluation"


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

ACCURACY_ATOL = 1e-9
"""mapping_accuracy must equal the grader's share of correct predictions up to rounding."""

DEPENDS = {
    "predict_on_digits": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "accuracy_on_digits": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "hidden_predict": ["fit_kmeans", "q2_fit_kmeans.model_usable", "fit_kmeans:subset"],
    "hidden_accuracy": ["fit_kmeans", "q2_fit_kmeans.model_usable", "fit_kmeans:subset"],
    "hidden_fresh_import": ["fit_kmeans", "q2_fit_kmeans.same_seed_same_result"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS)."""

_digits = shared.digits


@functools.cache
def _reference_predictions():
    """Digits predicted by the grader's own KMeans(10, n_init=10, random_state=0) fit."""
    _, y = _digits()
    labels = shared.reference_fit(shared.digits, 10)[0]
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (labels, y), 1)
    predicted = counts.argmax(axis=1)[labels]
    predicted.flags.writeable = False
    return predicted


_default_fit = shared.default_fit


def _centres(model, hidden=False):
    """``model.cluster_centers_`` (:func:`shared.centres_of`) with at least 2 distinct rows."""
    centres = shared.centres_of(model, hidden)
    if shared.per_model(model, "distinct centres", lambda: shared.distinct_rows(centres)) < 2:
        shared.not_judged(
            "the model has fewer than 2 distinct centres: every image has the same nearest "
            "centre, so any constant answer would pass"
        )
    return centres


def _majority_mapping(centres, X, y):
    """Centre index -> most frequent digit among the rows nearest to it (0 if none), and
    the digit that mapping gives each row."""
    nearest = shared.nearest(X, centres)
    counts = np.zeros((len(centres), 10), dtype=int)
    np.add.at(counts, (nearest, y), 1)
    digit = counts.argmax(axis=1)
    return {j: int(d) for j, d in enumerate(digit)}, digit[nearest]


def _on_digits(model):
    """The default model's centres, the majority mapping of its clusters and the digit it
    gives each image: once per model for both public cases."""
    X, y = _digits()
    centres = _centres(model)
    return (
        centres,
        *shared.per_model(model, "q5 mapping", lambda: _majority_mapping(centres, X, y)),
    )


def _expected_digits(centres, mapping, X):
    """The digit ``mapping`` gives the nearest centre of each row of X."""
    return np.array([mapping[j] for j in range(len(centres))], dtype=int)[
        shared.nearest(X, centres)
    ]


def _digit_array(result, n, hidden=False):
    """predict_digits' result as an array of n digits; hidden messages omit the shape."""
    result = np.asarray(result)
    shape = "" if hidden else f" {result.shape}; expected ({n},)"
    assert result.shape == (n,), (
        f"predict_digits returned the wrong shape{' on new images' if hidden else ''}{shape}\n"
        "hint: one predicted digit per row of the X you are given."
    )
    return result


def _accuracy_value(result):
    value = np.asarray(result)
    assert value.shape == () and value.dtype.kind in "biuf", (
        f"mapping_accuracy returned {result!r}; expected one number"
    )
    value = float(value)
    assert 0 <= value <= 1, (
        f"mapping_accuracy returned {value:g}; expected a share between 0 and 1\n"
        "hint: return the fraction of correct predictions, not a percentage or a count."
    )
    return value


@test_case(name="predict_digits gives the mapped digit of the nearest centre", points=3)
def predict_on_digits(fit_kmeans, predict_digits):
    X, _ = _digits()
    model = _default_fit(fit_kmeans)
    _, mapping, expected = _on_digits(model)
    result = _digit_array(predict_digits(model, dict(mapping), X.copy()), len(X))
    wrong = int(np.sum(result != expected))
    assert wrong == 0, (
        f"predict_digits differs for {wrong} of {len(X)} images from the mapped digit of "
        "their nearest centre\n"
        "hint: find each row's nearest centre (model.predict) and look its digit up in mapping."
    )


@test_case(name="mapping_accuracy is the share of images whose predicted digit is right", points=3)
def accuracy_on_digits(fit_kmeans, mapping_accuracy):
    X, y = _digits()
    model = _default_fit(fit_kmeans)
    _, mapping, digits = _on_digits(model)
    value = _accuracy_value(mapping_accuracy(model, dict(mapping), X.copy(), y.copy()))
    expected = float(np.mean(digits == y))
    assert abs(value - expected) <= ACCURACY_ATOL, (
        f"mapping_accuracy returned {value:.4f}; the predictions give {expected:.4f}\n"
        "hint: compare the mapped digits (predict_digits), not the cluster ids, with y."
    )


@test_case(
    name="confusion_counts counts true digits in rows and predicted digits in columns", points=3
)
def confusion_on_digits(confusion_counts):
    _, y = _digits()
    predicted = _reference_predictions()
    result = np.asarray(confusion_counts(y.copy(), predicted.copy()))
    assert result.shape == (10, 10), (
        f"confusion_counts returned shape {result.shape}; expected (10, 10)"
    )
    expected = np.zeros((10, 10), dtype=int)
    np.add.at(expected, (y, predicted), 1)
    if not np.array_equal(result, expected):
        swapped = np.array_equal(result, expected.T)
        raise AssertionError(
            f"confusion_counts gives {int(result[1, 8])} images of a 1 predicted as 8; "
            f"expected {int(expected[1, 8])}"
            + (" (rows and columns are swapped)" if swapped else "")
            + "\nhint: entry [t, p] counts the images of digit t that were predicted as p."
        )


@test_case(name="most_confused_pair finds the largest off-diagonal count", points=2)
def pair_on_digits(most_confused_pair):
    _, y = _digits()
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y, _reference_predictions()), 1)
    result = _pair(most_confused_pair(cm.copy()))
    expected = _row_major_pair(cm)
    assert result == expected, (
        f"most_confused_pair returned {result}; expected {expected}: {cm[expected]} images of a "
        f"{expected[0]} were predicted as {expected[1]}\n"
        "hint: ignore the diagonal (correct predictions) and take the largest remaining count; "
        "return (row, column)."
    )


def _row_major_pair(cm):
    """(row, column) of the first largest off-diagonal entry in row-major order."""
    off_diagonal = np.where(np.eye(len(cm), dtype=bool), -1, cm)
    row, column = np.unravel_index(np.argmax(off_diagonal), cm.shape)
    return int(row), int(column)


def _pair(result):
    pair = np.asarray(result)
    assert pair.shape == (2,) and pair.dtype.kind in "iu", (
        f"most_confused_pair returned {result!r}; expected a pair of ints (true, predicted)"
    )
    return int(pair[0]), int(pair[1])


_hidden_rest = shared._hidden_rest
_hidden_model = shared._hidden_subset_fit
"""The student's fit of 1,000 digits with 12 clusters (q3's); new images: the other 797."""


def _hidden_mapping(k):
    """A mapping that is not the majority one, with two clusters named after one digit."""
    return {j: (3 * j + 1) % 10 if j != k - 1 else 1 for j in range(k)}


@test_case(name="predict_digits uses the mapping it is given on new images", points=3, hidden=True)
def hidden_predict(fit_kmeans, predict_digits):
    X_new, _ = _hidden_rest()
    model = _hidden_model(fit_kmeans)
    centres = _centres(model, hidden=True)
    mapping = _hidden_mapping(len(centres))
    result = _digit_array(predict_digits(model, dict(mapping), X_new.copy()), len(X_new), True)
    assert np.array_equal(result, _expected_digits(centres, mapping, X_new)), (
        "on new images with another mapping, predict_digits does not give the mapped digit of "
        "each row's nearest centre\n"
        "hint: use the model, mapping and X you are given; do not refit or rebuild the mapping."
    )


@test_case(
    name="mapping_accuracy uses the mapping it is given on new images", points=3, hidden=True
)
def hidden_accuracy(fit_kmeans, mapping_accuracy):
    X_new, y_new = _hidden_rest()
    model = _hidden_model(fit_kmeans)
    centres = _centres(model, hidden=True)
    mapping = _hidden_mapping(len(centres))
    value = _accuracy_value(mapping_accuracy(model, dict(mapping), X_new.copy(), y_new.copy()))
    expected = float(np.mean(_expected_digits(centres, mapping, X_new) == y_new))
    assert abs(value - expected) <= ACCURACY_ATOL, (
        "on new images with another mapping, mapping_accuracy is not the share of rows whose "
        "mapped digit equals y\n"
        "hint: use the model, mapping, X and y you are given."
    )


@functools.cache
def _hidden_pairs():
    """Digit sequences where 7 never occurs and errors are one-directional."""
    rng = np.random.default_rng(2_718)
    y_true = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 9], size=500)
    y_pred = y_true.copy()
    wrong = rng.random(500) < 0.3
    y_pred[wrong] = rng.choice([0, 2, 4, 6, 8, 9], size=int(wrong.sum()))
    return y_true, y_pred


@test_case(name="confusion_counts is 10 x 10 even when a digit never occurs", points=2, hidden=True)
def hidden_confusion(confusion_counts):
    y_true, y_pred = _hidden_pairs()
    result = np.asarray(confusion_counts(y_true.copy(), y_pred.copy()))
    assert result.shape == (10, 10), (
        f"when a digit never occurs, confusion_counts returned shape {result.shape}; expected "
        "(10, 10)\nhint: give every digit 0..9 a row and a column (labels=range(10))."
    )
    expected = np.zeros((10, 10), dtype=int)
    np.add.at(expected, (y_true, y_pred), 1)
    assert np.array_equal(result, expected), (
        "on other predictions confusion_counts gives wrong counts\n"
        "hint: entry [t, p] counts the rows with true digit t and predicted digit p."
    )


@functools.cache
def _hidden_matrices():
    """Confusion matrices with tied off-diagonal maxima, and the row-major answer of each."""
    a = np.diag(np.full(10, 50))
    a[5, 1] = a[2, 7] = 9  # tie across rows: row-major order gives (2, 7), columns give (5, 1)
    a[3, 3] = 90
    b = np.diag(np.full(10, 40))
    b[6, 9] = b[6, 2] = 12  # tie within a row: (6, 2) comes first
    b[0, 4] = 11
    c = np.zeros((10, 10), dtype=int)
    c[8, 0] = c[0, 8] = 4  # symmetric tie: (0, 8) comes first
    c[9, 9] = 30
    return [(a, (2, 7)), (b, (6, 2)), (c, (0, 8))]


@test_case(
    name="most_confused_pair breaks ties by the first pair in row-major order",
    points=3,
    hidden=True,
)
def hidden_pair_ties(most_confused_pair):
    for cm, expected in _hidden_matrices():
        result = _pair(most_confused_pair(cm.copy()))
        assert result[0] != result[1], (
            "on another matrix most_confused_pair returned a diagonal entry\n"
            "hint: the diagonal holds correct predictions; leave it out."
        )
        assert result == expected, (
            "on a matrix with two equal largest off-diagonal counts, most_confused_pair "
            "returned the wrong one\n"
            "hint: take the first largest count in row-major order (row by row, left to right), "
            "as np.argmax does on the flattened matrix."
        )


@test_case(
    name="fit_kmeans gives the same result for the same random_state when your module is "
    "imported again",
    points=1,
    hidden=True,
)
def hidden_fresh_import(fit_kmeans, env):
    # the module's top-level code runs again (a seed drawn there, a cache kept there, are
    # new), in the same sandbox process: 1-2 ms, where a second process cost about 30 ms
    first = shared.seed_labels(fit_kmeans)
    reimport = env.get("__reimport__") if hasattr(env, "get") else None
    if callable(reimport):  # ClusterLab; otter runs each submission in a fresh kernel anyway
        reimport()
    second = shared.attribute(
        fit_kmeans(shared.seed_rows().copy(), n_clusters=10, random_state=0), "labels_"
    )
    shared.check(
        first.shape == second.shape and np.array_equal(first, second),
        "when your module was imported again, a fit with random_state=0 labels the images "
        "differently",
        hint="let random_state alone decide the result: no global random state, clock or cache.",
    )
