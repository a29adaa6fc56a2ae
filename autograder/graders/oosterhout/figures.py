"""Figures of an oosterhout submission: its silhouette curve and its cluster profile.

The input is the public case's: the shipped data preprocessed by the questions' own
``shipped_X`` (public data, the grader's preprocessing), so that the memo of that
case answers ``silhouette_by_k`` and a mistake in ``preprocess`` does not blank the
curve.
"""

from pathlib import Path

import numpy as np

from autograder.render import plots
from autograder.testfiles import shared_module

K_VALUES = [3, 4, 5]  # the public case's k values: the memo answers


def _shipped_X():
    """``support/_shared.py``'s ``shipped_X``, from the module instance the questions share."""
    return shared_module(Path(__file__).resolve().parent / "support" / "_shared.py").shipped_X()


def silhouette_and_profile(student):
    """``silhouette_by_k`` on the shipped data; the profile of ``fit_kmeans`` at its best k."""
    X = _shipped_X().copy()
    scores = student.silhouette_by_k(X, list(K_VALUES))
    ks = [k for k in K_VALUES if k in scores]
    out = []
    if ks:
        values = [float(scores[k]) for k in ks]
        best = ks[int(np.argmax(values))]
        out.append(
            plots.line(
                ks,
                values,
                xlabel="k",
                ylabel="silhouette",
                title="Your silhouette by k",
                caption=f"silhouette_by_k on the preprocessed allocations, k = 3..5; "
                f"highest at k = {best}",
                mark=best,
            )
        )
        model = student.fit_kmeans(X, best, random_state=0)
        profile = student.profile_clusters(student.load_data(), np.asarray(model.labels_))
        columns = [str(c) for c in profile.columns]
        rows = [
            [str(idx), *(_fmt(profile[c].iloc[i]) for c in profile.columns)]
            for i, idx in enumerate(profile.index)
        ]
        out.append(
            plots.table(
                ["cluster", *columns],
                rows,
                title="Your cluster profile",
                caption=f"profile_clusters(load_data(), fit_kmeans(X, {best}).labels_)",
            )
        )
    return out


def _fmt(v):
    try:
        return f"{float(v):,.2f}"
    except (TypeError, ValueError):
        return str(v)[:40]


FIGURES = (silhouette_and_profile,)
