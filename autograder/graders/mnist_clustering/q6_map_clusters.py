"""Q6: name each cluster after its most frequent digit."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q6_map_clusters"


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
    "hidden_noise_and_gaps": ["map_clusters"],
    "hidden_ties": ["map_clusters"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS)."""


def _majority(labels, y):
    """The expected mapping: cluster id -> most frequent digit (ties: smallest), no noise."""
    return {
        int(c): int(np.argmax(np.bincount(y[labels == c], minlength=10)))
        for c in np.unique(labels)
        if c != -1
    }


def _integer(value):
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return int(value) if float(value).is_integer() else None


def _int_dict(result, hidden=False):
    """The student's dict with int keys and values; a readable failure otherwise."""
    check(
        isinstance(result, dict),
        f"map_clusters returned {type(result).__name__}; expected a dict",
        hint="build a dict {cluster id: digit}.",
    )
    out = {}
    for key, value in result.items():
        k, v = _integer(key), _integer(value)
        entry = "an entry" if hidden else f"the entry {key!r}: {value!r}"
        check(
            k is not None and v is not None,
            f"map_clusters returned {entry}; expected integer keys and values",
        )
        out[k] = v
    return out


@functools.cache
def _public_labels():
    """Ten clusters of 200 images each, mostly one digit but mixed, and their digits."""
    rng = np.random.default_rng(8)
    labels = np.repeat(np.arange(10), 20)
    y = np.where(rng.random(200) < 0.7, (labels * 3) % 10, rng.integers(0, 10, 200))
    order = rng.permutation(200)
    return labels[order], y[order]


@test_case(name="map_clusters names each cluster after its most frequent digit", points=4)
def public_mapping(map_clusters):
    labels, y = _public_labels()
    result = _int_dict(shared.KIT.memo.call("default", map_clusters, labels.copy(), y.copy()))
    expected = _majority(labels, y)
    missing = sorted(set(expected) - set(result))
    check(
        not missing,
        f"clusters {missing} have no entry in the mapping",
        hint="every cluster id in cluster_labels must be a key.",
    )
    wrong = {c: result[c] for c in expected if result[c] != expected[c]}
    check(
        not wrong,
        f"the mapping gives the wrong digit for {len(wrong)} of {len(expected)} clusters",
        expected={c: expected[c] for c in wrong},
        actual=wrong,
        hint="count the digits among each cluster's members and take the most frequent one.",
    )


@functools.cache
def _hidden_labels():
    """Labels with noise (-1), gaps, ids above 9, and tied counts (larger digit seen first)."""
    groups = {
        -1: [3, 3, 3, 3, 3, 3, 7],
        0: [8, 3, 8, 8, 1, 8, 3],
        4: [7, 7, 2, 2],
        12: [4, 9, 9, 4, 9],
        31: [9, 9, 5, 5, 1],
    }
    labels = np.array([c for c, ys in groups.items() for _ in ys])
    y = np.array([d for ys in groups.values() for d in ys])
    rng = np.random.default_rng(5)
    owners = rng.permutation(labels)
    position = {c: iter(np.flatnonzero(labels == c)) for c in groups}
    order = np.array([next(position[c]) for c in owners])
    return labels[order], y[order]


@test_case(
    name="map_clusters leaves out the noise label -1 and handles gaps in the ids",
    points=3,
    hidden=True,
)
def hidden_noise_and_gaps(map_clusters):
    labels, y = _hidden_labels()
    result = _int_dict(map_clusters(labels.copy(), y.copy()), True)
    check(
        -1 not in result,
        "on labels with noise the mapping has the key -1",
        hint="-1 marks noise, not a cluster: leave it out of the mapping.",
    )
    expected = _majority(labels, y)
    check(
        set(result) == set(expected),
        "on labels with gaps in the ids the mapping does not have exactly one key per cluster",
        hint="use the ids that occur in cluster_labels, not range(10).",
    )
    untied = {0, 12}
    check(
        all(result[c] == expected[c] for c in untied),
        "on other labels the mapping does not give each cluster its most frequent digit",
        hint="count the digits among each cluster's members and take the most frequent one.",
    )


@test_case(name="map_clusters breaks ties by the smallest digit", points=2, hidden=True)
def hidden_ties(map_clusters):
    labels, y = _hidden_labels()
    result = _int_dict(map_clusters(labels.copy(), y.copy()), True)
    tied = {4: 2, 31: 5}
    check(
        all(result.get(c) == d for c, d in tied.items()),
        "on other labels the mapping breaks ties between equally frequent digits the wrong way",
        hint="when two digits occur equally often in a cluster, take the smallest digit.",
    )
