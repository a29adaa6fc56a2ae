"""Figures of an oosterhout submission: its silhouette curve and its cluster profile."""

import numpy as np

from autograder.render import plots

K_VALUES = [3, 4, 5]  # the public case's k values: the memo answers


def silhouette_and_profile(student):
    """``silhouette_by_k`` on the student's own preprocessed data; the profile of their fit."""
    df = student.load_data()
    X = np.asarray(student.preprocess(df), dtype=float)
    scores = student.silhouette_by_k(X, K_VALUES)
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
                caption=f"silhouette_by_k(preprocess(load_data()), 3..5); highest at k = {best}",
                mark=best,
            )
        )
        model = student.fit_kmeans(X, best)
        profile = student.profile_clusters(df, np.asarray(model.labels_))
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
                caption=f"profile_clusters(df, fit_kmeans(X, {best}).labels_)",
            )
        )
    return out


def _fmt(v):
    try:
        return f"{float(v):,.2f}"
    except (TypeError, ValueError):
        return str(v)[:40]


FIGURES = (silhouette_and_profile,)
