"""Figures of an mnist_clustering submission: its DBSCAN grid as a heatmap.

The input is the public case's: 1,000 images of the training split embedded by
PCA(50), the array ``support/_shared.py`` gives the public grid case, so the memo of
that case answers the call and nothing is computed twice.
"""

from pathlib import Path

from autograder.render import plots
from autograder.testfiles import shared_module


def _shared():
    """``support/_shared.py``, the module instance the question files share."""
    return shared_module(Path(__file__).resolve().parent / "support" / "_shared.py")


EPS, MIN_SAMPLES = (list(v) for v in (_shared().EPS, _shared().MIN_SAMPLES))  # the public grid


def _public_embedding():
    return _shared().grid_data()


def dbscan_heatmap(student):
    """``dbscan_grid`` on the public embedding: clusters (and noise) per eps and min_samples."""
    grid = student.dbscan_grid(_public_embedding().copy(), list(EPS), list(MIN_SAMPLES))
    cells = {}
    for i in range(len(grid)):
        row = grid.iloc[i]
        cells[float(row["eps"]), int(row["min_samples"])] = (
            int(row["n_clusters"]),
            float(row["noise_fraction"]),
        )
    if not all((e, m) in cells for e in EPS for m in MIN_SAMPLES):
        return []
    heat = [[cells[e, m][0] for m in MIN_SAMPLES] for e in EPS]
    rows = [
        [f"eps {e:g}", *(f"{cells[e, m][0]} ({cells[e, m][1]:.0%} noise)" for m in MIN_SAMPLES)]
        for e in EPS
    ]
    return [
        plots.table(
            ["", *(f"min_samples {m}" for m in MIN_SAMPLES)],
            rows,
            heat=heat,
            title="Your DBSCAN grid",
            caption="dbscan_grid on 1,000 embedded training images: clusters found "
            "(and the share of noise) per setting; darker is more clusters",
        )
    ]


FIGURES = (dbscan_heatmap,)
