"""Make the figures of assignments/kmeans_scratch/README.md with the reference solution.

Usage::

    python calibration/kmeans_scratch_figures.py

Writes small PNGs to assignments/kmeans_scratch/figures/: the first iterations of Lloyd's
algorithm, the clusters found next to the species, the elbow curve, and how often a
single run ends in the 142.75 local optimum with random and with k-means++ starts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assignments" / "kmeans_scratch" / "figures"
PETALS = (2, 3)  # petal length, petal width: the two columns the plots show
COLOURS = np.array(["#1b9e77", "#d95f02", "#7570b3"])
DPI = 80


def load_solution():
    spec = importlib.util.spec_from_file_location(
        "kmeans_scratch", ROOT / "solutions" / "kmeans_scratch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def petal_axes(ax, title: str) -> None:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("petal length (cm)", fontsize=8)
    ax.set_ylabel("petal width (cm)", fontsize=8)
    ax.tick_params(labelsize=7)


def lloyd_steps(km, X: np.ndarray) -> None:
    """Start, iterations 1 and 2, and the end of one run from three random rows."""
    rng = np.random.default_rng(4)
    centroids = km.init_random(X, 3, rng)
    snapshots = [("start: 3 random rows", centroids, None)]
    for step in range(1, 20):
        labels = km.assign_clusters(X, centroids)
        new = km.update_centroids(X, labels, 3, centroids)
        if step <= 2:
            snapshots.append((f"after iteration {step}", new, labels))
        if np.allclose(new, centroids):
            snapshots.append((f"converged after {step} iterations", new, labels))
            break
        centroids = new
    fig, axes = plt.subplots(1, 4, figsize=(11, 2.9), sharex=True, sharey=True)
    for ax, (title, c, labels) in zip(axes, snapshots[:3] + snapshots[-1:], strict=True):
        colour = "#bbbbbb" if labels is None else COLOURS[labels]
        ax.scatter(X[:, PETALS[0]], X[:, PETALS[1]], s=9, c=colour)
        ax.scatter(
            c[:, PETALS[0]],
            c[:, PETALS[1]],
            s=140,
            marker="X",
            c=COLOURS,
            edgecolors="black",
            linewidths=1,
        )
        petal_axes(ax, title)
    fig.suptitle("Lloyd's algorithm on iris (k = 3; crosses are centroids)", fontsize=11)
    fig.tight_layout()
    fig.savefig(OUT / "lloyd_steps.png", dpi=DPI)
    plt.close(fig)


def clusters_vs_species(km, X: np.ndarray, y: np.ndarray) -> None:
    centroids, labels, value, _ = km.kmeans(X, 3, random_state=0)
    # colour each cluster like the species most of its flowers belong to
    species = np.array([np.bincount(y[labels == j], minlength=3).argmax() for j in range(3)])
    labels, centroids = species[labels], centroids[np.argsort(species)]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharex=True, sharey=True)
    axes[0].scatter(X[:, PETALS[0]], X[:, PETALS[1]], s=10, c=COLOURS[labels])
    axes[0].scatter(
        centroids[:, PETALS[0]],
        centroids[:, PETALS[1]],
        s=140,
        marker="X",
        c=COLOURS,
        edgecolors="black",
    )
    petal_axes(axes[0], f"kmeans(X, 3): inertia {value:.2f}")
    axes[1].scatter(X[:, PETALS[0]], X[:, PETALS[1]], s=10, c=COLOURS[y])
    petal_axes(axes[1], "the three species (not used by K-means)")
    fig.tight_layout()
    fig.savefig(OUT / "clusters.png", dpi=DPI)
    plt.close(fig)


def elbow_plot(km, X: np.ndarray) -> None:
    ks = list(range(1, 11))
    values = km.elbow(X, ks)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(ks, values, "o-", color="#333333")
    ax.annotate(
        "the elbow",
        xy=(3, values[2]),
        xytext=(4.5, values[1]),
        arrowprops={"arrowstyle": "->"},
        fontsize=9,
    )
    ax.set_xlabel("number of clusters k", fontsize=9)
    ax.set_ylabel("inertia", fontsize=9)
    ax.set_xticks(ks)
    ax.set_title("elbow(X, range(1, 11)) on iris", fontsize=10)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "elbow.png", dpi=DPI)
    plt.close(fig)


def init_comparison(km, X: np.ndarray) -> None:
    """Final inertia of 300 single runs from random rows and from k-means++ seeding."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    bins = np.linspace(75, 150, 31)
    for init, colour in (("random", "#d95f02"), ("k-means++", "#1b9e77")):
        values = [km.kmeans(X, 3, init=init, n_init=1, random_state=s)[2] for s in range(300)]
        bad = np.mean(np.asarray(values) > 100)
        ax.hist(
            np.clip(values, 75, 149),
            bins=bins,
            alpha=0.6,
            color=colour,
            label=f"{init}: {bad:.0%} of runs end above 140",
        )
    ax.set_xlabel("inertia after one run (n_init=1)", fontsize=9)
    ax.set_ylabel("runs (of 300)", fontsize=9)
    ax.set_title("one run of kmeans(X, 3), 300 seeds", fontsize=10)
    ax.legend(fontsize=8)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "init_comparison.png", dpi=DPI)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    km = load_solution()
    data = load_iris()
    lloyd_steps(km, data.data)
    clusters_vs_species(km, data.data, data.target)
    elbow_plot(km, data.data)
    init_comparison(km, data.data)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
