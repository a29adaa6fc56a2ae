"""Reference solution: colour compression with K-means.

Reduces the ~100,000 colours of a photograph to a small palette by clustering its
pixels in RGB space: the K-means centres become the palette and every pixel is
replaced by its nearest palette colour. PSNR measures what is lost, the compression
ratio what is saved.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image
from sklearn.metrics import pairwise_distances_argmin


def load_image(name: str = "china.jpg") -> np.ndarray:
    """Load one of scikit-learn's sample images.

    Parameters
    ----------
    name : str, default="china.jpg"
        ``"china.jpg"`` or ``"flower.jpg"``.

    Returns
    -------
    ndarray of shape (h, w, 3), uint8
        The RGB image, values 0..255.
    """
    return np.asarray(load_sample_image(name), dtype=np.uint8)


def to_pixels(img: np.ndarray) -> np.ndarray:
    """One row per pixel, colours scaled to [0, 1].

    Parameters
    ----------
    img : ndarray of shape (h, w, 3), uint8

    Returns
    -------
    ndarray of shape (h * w, 3), float
        The pixels row by row (``img.reshape(-1, 3)``) divided by 255.
    """
    return np.asarray(img).reshape(-1, 3).astype(np.float64) / 255.0


def fit_palette(
    pixels: np.ndarray,
    n_colors: int = 16,
    random_state: int = 0,
    sample_size: int = 10_000,
) -> np.ndarray:
    """Fit a palette of ``n_colors`` colours with K-means on a random sample of pixels.

    Parameters
    ----------
    pixels : ndarray of shape (n_pixels, 3), float in [0, 1]
    n_colors : int, default=16
        Number of palette colours (K-means clusters).
    random_state : int, default=0
        Seed of both the sample and the K-means initialisation.
    sample_size : int, default=10_000
        At most this many pixels, drawn at random without replacement, are clustered;
        all of them if there are fewer.

    Returns
    -------
    ndarray of shape (n_colors, 3), float in [0, 1]
        The K-means centres.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    if len(pixels) > sample_size:
        pixels = pixels[rng.choice(len(pixels), size=sample_size, replace=False)]
    model = KMeans(n_clusters=n_colors, n_init=3, random_state=random_state)
    return model.fit(pixels).cluster_centers_


def quantize(img: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Replace every pixel by its nearest palette colour.

    Parameters
    ----------
    img : ndarray of shape (h, w, 3), uint8
    palette : ndarray of shape (n_colors, 3), float in [0, 1]

    Returns
    -------
    ndarray of shape (h, w, 3), uint8
        Each pixel is the palette colour nearest to it (Euclidean, in RGB), times 255
        and rounded to the nearest integer.
    """
    img = np.asarray(img)
    palette = np.asarray(palette, dtype=np.float64)
    nearest = pairwise_distances_argmin(to_pixels(img), palette)
    colours = np.clip(np.rint(palette * 255.0), 0, 255).astype(np.uint8)
    return colours[nearest].reshape(img.shape)


def psnr(original: np.ndarray, compressed: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images, in dB.

    ``10 * log10(255**2 / MSE)`` with the mean squared error over all pixels and all
    channels. Identical images give ``inf``.
    """
    a = np.asarray(original, dtype=np.float64)
    b = np.asarray(compressed, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images have shapes {a.shape} and {b.shape}; expected the same")
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0**2 / mse)


def compression_ratio(img: np.ndarray, n_colors: int) -> float:
    """Size of the 24-bit image over the size of its palette-indexed version.

    ``(h*w*24) / (h*w*ceil(log2 n_colors) + n_colors*24)``: every pixel stores an index
    of ``ceil(log2 n_colors)`` bits, and the palette stores 24 bits per colour.
    """
    h, w = np.shape(img)[:2]
    bits = (int(n_colors) - 1).bit_length()  # ceil(log2 n_colors), exact for integers
    return h * w * 24 / (h * w * bits + n_colors * 24)
