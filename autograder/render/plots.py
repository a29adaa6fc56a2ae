"""Small matplotlib pictures (Agg backend) as data for inline ``<img>`` tags.

Every function returns a figure record ``{"title", "caption", "mime", "data"}``
(``data`` base64), the form :attr:`SubmissionResult.figures` stores and the HTML
templates inline as a data URI: nothing is fetched when a page is opened.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 80
"""Resolution of PNG figures: sharp on a phone, a few kilobytes each."""
plt.rcParams.update(
    {
        "svg.fonttype": "path",  # text as outlines: the SVG needs no font from anywhere
        "svg.hashsalt": "clusterlab",  # the same figure gives the same bytes on every run
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _record(fig, title: str, caption: str, fmt: str) -> dict[str, str]:
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", metadata=meta)
    plt.close(fig)
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    return {
        "title": title,
        "caption": caption,
        "mime": mime,
        "data": base64.b64encode(buf.getvalue()).decode("ascii"),
    }


def histogram(
    values: Sequence[float],
    *,
    bins: Sequence[float],
    xlabel: str,
    title: str,
    caption: str = "",
) -> dict[str, str]:
    """A histogram with fixed bin edges (counts on the y axis)."""
    fig, ax = plt.subplots(figsize=(5.2, 2.4))
    ax.hist(list(values), bins=list(bins), color="#3b6ea5", edgecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _record(fig, title, caption, "svg")


def line(
    x: Sequence[float],
    y: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    caption: str = "",
    mark: float | None = None,
) -> dict[str, str]:
    """A line with points (an elbow curve, a silhouette curve); ``mark`` draws a vertical line."""
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    ax.plot(list(x), list(y), "o-", color="#3b6ea5")
    if mark is not None:
        ax.axvline(mark, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xticks(list(x))
    return _record(fig, title, caption, "svg")


def image_grid(
    images: np.ndarray, *, title: str, caption: str = "", cols: int = 5, scale: int = 8
) -> dict[str, str]:
    """Small grey-scale images in a grid (centroid images), dark ink on white, as a PNG.

    Drawn with Pillow, not matplotlib: a 10-image grid costs milliseconds.
    """
    from PIL import Image

    imgs = np.nan_to_num(np.asarray(images, dtype=float))
    lo, hi = float(imgs.min()), float(imgs.max())
    ink = (imgs - lo) / (hi - lo) if hi > lo else np.zeros_like(imgs)
    n, h, w = ink.shape
    rows = int(np.ceil(n / cols))
    gap = 4
    shape = (rows * (h * scale + gap) + gap, cols * (w * scale + gap) + gap)
    canvas = np.full(shape, 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        tile = np.kron(255 - 255 * ink[i], np.ones((scale, scale))).astype(np.uint8)
        y, x = gap + r * (h * scale + gap), gap + c * (w * scale + gap)
        canvas[y : y + h * scale, x : x + w * scale] = tile
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, format="PNG", optimize=True)
    return {
        "title": title,
        "caption": caption,
        "mime": "image/png",
        "data": base64.b64encode(buf.getvalue()).decode("ascii"),
    }


def heatmap(
    matrix: np.ndarray,
    *,
    xlabels: Sequence[str],
    ylabels: Sequence[str],
    xlabel: str,
    ylabel: str,
    title: str,
    caption: str = "",
    fmt: str = "{:g}",
) -> dict[str, str]:
    """A matrix with its numbers written in the cells (confusion matrix, grid search)."""
    m = np.asarray(matrix, dtype=float)
    size = (0.45 * m.shape[1] + 1.6, 0.38 * m.shape[0] + 1.0)
    fig, ax = plt.subplots(figsize=size)
    ax.imshow(m, cmap="Blues", aspect="auto")
    top = np.nanmax(m) if m.size and np.isfinite(m).any() else 0
    for (i, j), v in np.ndenumerate(m):
        if np.isfinite(v):
            colour = "white" if top and v > 0.6 * top else "black"
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(m.shape[1]), list(xlabels))
    ax.set_yticks(range(m.shape[0]), list(ylabels))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _record(fig, title, caption, "png")


def swatches(colours: np.ndarray, *, title: str, caption: str = "") -> dict[str, str]:
    """A palette as a row of colour squares (``colours``: (n, 3) in [0, 1])."""
    c = np.clip(np.asarray(colours, dtype=float).reshape(1, -1, 3), 0, 1)
    fig, ax = plt.subplots(figsize=(min(8, 0.35 * c.shape[1] + 0.4), 0.6))
    ax.imshow(c, aspect="auto")
    ax.axis("off")
    return _record(fig, title, caption, "png")


def photo(img: np.ndarray, *, title: str, caption: str = "", width: int = 320) -> dict[str, str]:
    """A photo (uint8 (h, w, 3)) scaled to ``width`` pixels, as a JPEG."""
    from PIL import Image

    im = Image.fromarray(np.asarray(img, dtype=np.uint8))
    height = max(1, round(im.height * width / im.width))
    im = im.resize((width, height), Image.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=85)
    return {
        "title": title,
        "caption": caption,
        "mime": "image/jpeg",
        "data": base64.b64encode(buf.getvalue()).decode("ascii"),
    }


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    title: str,
    caption: str = "",
    heat: Sequence[Sequence[float]] | None = None,
) -> dict[str, str]:
    """A small table (cluster profile, confusion matrix) as a figure with ``mime`` ``text/table``.

    The HTML page renders it as a real, escaped table; ``data`` is JSON. ``heat``
    (one number per cell after the first column) shades the cells, darker for larger:
    a heatmap that stays sharp, prints and reads on a phone.
    """
    import json

    shade = None
    if heat is not None:
        m = np.nan_to_num(np.asarray(heat, dtype=float))
        top = float(m.max()) if m.size else 0.0
        shade = (m / top).round(3).tolist() if top > 0 else np.zeros_like(m).tolist()
    return {
        "title": title,
        "caption": caption,
        "mime": "text/table",
        "data": json.dumps(
            {"header": list(header), "rows": [list(r) for r in rows], "heat": shade}
        ),
    }
