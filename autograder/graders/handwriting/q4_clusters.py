"""Q4: look inside the clusters: centre images, cluster names and cluster sizes."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q4_clusters"


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

_digits = shared.digits


def _reference_labels():
    """Cluster labels of the grader's own KMeans(10, n_init=10, random_state=0) fit."""
    return shared.reference_fit(shared.digits, 10)[0]


DEPENDS = {
    "images_of_centres": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "hidden_images": ["fit_kmeans", "q2_fit_kmeans.model_usable", "fit_kmeans:subset"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS)."""


_default_fit = shared.default_fit


_centres = shared.centres_of


def _majority(labels, y):
    """The expected mapping: cluster id -> most frequent digit (ties: smallest digit)."""
    return {
        int(c): int(np.argmax(np.bincount(y[labels == c], minlength=10))) for c in np.unique(labels)
    }


def _integer(value):
    """``value`` as an int if it is an integral number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return int(value) if float(value).is_integer() else None


def _int_dict(result, function, hidden=False):
    """The student's dict with int keys and values; a readable failure otherwise.

    On hidden inputs the message does not quote the entry (its key is a hidden id).
    """
    assert isinstance(result, dict), (
        f"{function} returned {type(result).__name__}; expected a dict\n"
        "hint: build a dict {cluster id: value}."
    )
    out = {}
    for key, value in result.items():
        k, v = _integer(key), _integer(value)
        entry = "an entry" if hidden else f"the entry {key!r}: {value!r}"
        assert k is not None and v is not None, (
            f"{function} returned {entry}; expected integer keys and values"
        )
        out[k] = v
    return out


def _check_images(images, centres, hidden=False):
    """The images must be the centres reshaped row by row; hidden messages omit shapes."""
    images = np.asarray(images)
    k = len(centres)
    where = "for another model" if hidden else "for your digits model"
    shape = "" if hidden else f" {images.shape}; expected ({k}, 8, 8)"
    assert images.shape == (k, 8, 8), (
        f"centroid_images returned the wrong shape {where}{shape}\n"
        "hint: one 8 x 8 image per cluster of the model: reshape the centres to (-1, 8, 8)."
    )
    expected = centres.reshape(k, 8, 8)
    if np.allclose(expected, 0) or np.allclose(expected, expected.transpose(0, 2, 1)):
        shared.not_judged(
            f"the centres of {where.removeprefix('for ')} are all zero or symmetric: "
            "centroid_images cannot be told apart from a constant or a transpose on them"
        )
    if not np.allclose(images, expected, atol=1e-6):
        transposed = np.allclose(images, expected.transpose(0, 2, 1), atol=1e-6)
        raise AssertionError(
            f"centroid_images does not match the model's centres {where}"
            + (": each image is transposed\n" if transposed else "\n")
            + "hint: the 64 pixels of a centre are stored row by row; reshape them to (8, 8) "
            "without transposing or rescaling."
        )


@test_case(name="centroid_images turns the centres into 8 x 8 images", points=3)
def images_of_centres(fit_kmeans, centroid_images):
    model = _default_fit(fit_kmeans)
    _check_images(centroid_images(model), _centres(model))


@test_case(name="map_clusters_to_digits names each cluster after its most frequent digit", points=3)
def mapping_on_digits(map_clusters_to_digits):
    _, y = _digits()
    labels = _reference_labels()
    result = _int_dict(map_clusters_to_digits(labels.copy(), y.copy()), "map_clusters_to_digits")
    expected = _majority(labels, y)
    missing = sorted(set(expected) - set(result))
    assert not missing, (
        f"clusters {missing} have no entry in the mapping\n"
        "hint: every cluster id in cluster_labels must be a key."
    )
    wrong = {c: result[c] for c in expected if result[c] != expected[c]}
    right = {c: expected[c] for c in wrong}
    assert not wrong, (
        f"the mapping gives {wrong}; expected {right} (the most frequent digit of each cluster)\n"
        "hint: count the digits among each cluster's members and take the most frequent one; "
        "on a tie, the smallest digit."
    )


@test_case(name="cluster_sizes counts the members of each cluster", points=3)
def sizes_on_digits(cluster_sizes):
    labels = _reference_labels()
    result = _int_dict(cluster_sizes(labels.copy()), "cluster_sizes")
    expected = dict(enumerate(np.bincount(labels).tolist()))
    got = {c: result.get(c) for c in expected}
    assert got == expected, (
        f"cluster_sizes gives {got}; expected {expected}\n"
        "hint: count how many images carry each cluster label."
    )


@test_case(name="centroid_images works for another model", points=3, hidden=True)
def hidden_images(fit_kmeans, centroid_images):
    model = shared._hidden_subset_fit(fit_kmeans)  # 12 clusters of 1,000 digits (q3's)
    _check_images(centroid_images(model), _centres(model, hidden=True), hidden=True)


@functools.cache
def _hidden_labels():
    """Cluster labels with gaps, ids above 9, and tied digit counts.

    Cluster 4 holds digits 7 and 2 twice each (7 first): the tie goes to 2. Cluster 11 holds
    9, 9, 5, 5, 1 (9 first): the tie goes to 5. Cluster 0 is mostly 8 (not the smallest).
    """
    groups = {
        0: [8, 3, 8, 8, 1, 8, 3],
        2: [6, 6, 0, 6],
        4: [7, 7, 2, 2],
        7: [4, 9, 9, 4, 9],
        11: [9, 9, 5, 5, 1],
        13: [3],
    }
    labels = np.array([c for c, ys in groups.items() for _ in ys])
    y = np.array([d for ys in groups.values() for d in ys])
    # mix the clusters but keep each cluster's members in listed order, so that the digit
    # seen first in a tied cluster is the larger one
    order = _hidden_interleave(labels, groups)
    return labels[order], y[order]


def _hidden_interleave(labels, groups):
    """An order that mixes the clusters but keeps each cluster's members in listed order."""
    rng = np.random.default_rng(5)
    owners = rng.permutation(np.concatenate([[c] * len(ys) for c, ys in groups.items()]))
    position = {c: iter(np.flatnonzero(labels == c)) for c in groups}
    return np.array([next(position[c]) for c in owners])


@test_case(
    name="map_clusters_to_digits handles other labels and breaks ties by the smallest digit",
    points=4,
    hidden=True,
)
def hidden_mapping(map_clusters_to_digits):
    labels, y = _hidden_labels()
    result = _int_dict(
        map_clusters_to_digits(labels.copy(), y.copy()), "map_clusters_to_digits", True
    )
    expected = _majority(labels, y)
    assert set(expected) <= set(result), (
        "on other labels, some cluster ids have no entry in the mapping\n"
        "hint: use the ids that occur in cluster_labels, not range(10)."
    )
    wrong = {c for c in expected if result[c] != expected[c]}
    if wrong and wrong <= {4, 11}:  # only the clusters with tied digit counts
        raise AssertionError(
            "on other labels the mapping breaks ties between equally frequent digits the wrong "
            "way\nhint: when two digits occur equally often in a cluster, take the smallest digit."
        )
    assert not wrong, (
        "on other labels the mapping does not give each cluster its most frequent digit\n"
        "hint: count the digits among each cluster's members and take the most frequent one."
    )


@test_case(name="cluster_sizes handles labels with gaps and ids above 9", points=4, hidden=True)
def hidden_sizes(cluster_sizes):
    labels, _ = _hidden_labels()
    result = _int_dict(cluster_sizes(labels.copy()), "cluster_sizes", True)
    ids, counts = np.unique(labels, return_counts=True)
    wrong = [int(c) for c, n in zip(ids, counts, strict=True) if result.get(int(c)) != n]
    assert not wrong, (
        "on other labels cluster_sizes gives wrong or missing counts\n"
        "hint: use the ids that occur in cluster_labels, not range(10)."
    )
    extra = {c: n for c, n in result.items() if c not in set(ids.tolist()) and n != 0}
    assert not extra, (
        "on other labels cluster_sizes gives members to cluster ids that do not occur\n"
        "hint: count the labels that are there."
    )
