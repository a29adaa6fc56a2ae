"""Make the figures of assignments/mnist_clustering/README.md with the reference solution.

Usage::

    python calibration/mnist_clustering_figures.py

Writes small PNGs to assignments/mnist_clustering/figures/: a mosaic of eight training
images of each spectral cluster (titled with the cluster's mapped digit and purity), and
the DBSCAN grid as two heatmaps, the number of clusters and the share of noise.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assignments" / "mnist_clustering" / "figures"
EPS = [3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5]
MIN_SAMPLES = [3, 5, 10, 20]
PER_CLUSTER = 8
DPI = 80


def _solution():
    spec = importlib.util.spec_from_file_location("mc", ROOT / "solutions" / "mnist_clustering.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mosaic(X_train, y_train, labels, mapping, path: Path) -> None:
    """Eight images per spectral cluster, one row per cluster."""
    clusters = sorted(mapping, key=lambda c: (mapping[c], c))
    fig, axes = plt.subplots(
        len(clusters), PER_CLUSTER, figsize=(PER_CLUSTER * 0.7, len(clusters) * 0.75)
    )
    rng = np.random.default_rng(0)
    for row, cluster in zip(axes, clusters, strict=True):
        members = np.flatnonzero(labels == cluster)
        purity = float(np.mean(y_train[members] == mapping[cluster]))
        shown = rng.choice(members, size=min(PER_CLUSTER, len(members)), replace=False)
        for ax in row:
            ax.axis("off")
        for ax, i in zip(row, shown, strict=False):
            ax.imshow(X_train[i].reshape(28, 28), cmap="binary")
        row[0].set_title(
            f"cluster {cluster} → {mapping[cluster]} ({purity:.0%} of {len(members)})",
            fontsize=7,
            loc="left",
        )
    fig.tight_layout(pad=0.2)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def heatmaps(grid, path: Path) -> None:
    """The grid as two heatmaps: clusters found and share of noise, eps by min_samples."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, column, title, fmt in (
        (axes[0], "n_clusters", "clusters (noise not counted)", "{:.0f}"),
        (axes[1], "noise_fraction", "share of noise (label -1)", "{:.0%}"),
    ):
        table = grid.pivot(index="min_samples", columns="eps", values=column)
        image = ax.imshow(table.values, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(table.columns)), [f"{e:g}" for e in table.columns])
        ax.set_yticks(range(len(table.index)), table.index)
        ax.set_xlabel("eps")
        ax.set_ylabel("min_samples")
        ax.set_title(title, fontsize=10)
        for (i, j), value in np.ndenumerate(table.values):
            colour = "white" if value < table.values.max() / 2 else "black"
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main() -> None:
    mc = _solution()
    X, y = mc.load_mnist()
    X_train, X_test, y_train, y_test = mc.split(X, y)
    Z_train, Z_test = mc.embed(X_train, X_test)
    labels = mc.spectral_labels(Z_train)
    mapping = mc.map_clusters(labels, y_train)
    OUT.mkdir(parents=True, exist_ok=True)
    mosaic(X_train, y_train, labels, mapping, OUT / "spectral_clusters.png")
    grid = mc.dbscan_grid(Z_train, EPS, MIN_SAMPLES)
    heatmaps(grid, OUT / "dbscan_grid.png")
    digits = np.array([mapping[c] for c in labels])
    print("spectral accuracy", mc.accuracy(y_train, digits))
    print("transfer accuracy", mc.accuracy(y_test, mc.transfer_labels(Z_train, digits, Z_test)))
    print("best setting", mc.best_setting(grid))
    print(grid.to_string())


if __name__ == "__main__":
    main()
