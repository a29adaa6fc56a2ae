"""Colour compression with K-means: 16 colours instead of 16 million.

Fill in every function below; README.md tells the story and the rules. Check your
work with ``clusterlab check color_compression``, ``pytest`` in this folder, or
``otter check color_compression.py``.
"""

from __future__ import annotations

import numpy as np


def load_image(name: str = "china.jpg") -> np.ndarray:
    """Load one of scikit-learn's sample images.

    Parameters
    ----------
    name : str, default="china.jpg"
        The image to load: ``"china.jpg"`` or ``"flower.jpg"``
        (``sklearn.datasets.load_sample_image`` reads them).

    Returns
    -------
    ndarray of shape (h, w, 3), uint8
        The RGB image as loaded, values 0..255.
    """
    raise NotImplementedError


def to_pixels(img: np.ndarray) -> np.ndarray:
    """Turn an image into a table of pixels with colours in [0, 1].

    Parameters
    ----------
    img : ndarray of shape (h, w, 3), uint8
        Any RGB image, of any size and brightness.

    Returns
    -------
    ndarray of shape (h * w, 3), float
        One row per pixel holding its (red, green, blue), each divided by 255.
    """
    raise NotImplementedError


def fit_palette(
    pixels: np.ndarray,
    n_colors: int = 16,
    random_state: int = 0,
    sample_size: int = 10_000,
) -> np.ndarray:
    """Fit a palette of ``n_colors`` colours with K-means on a random sample of pixels.

    Draw a random sample of at most ``sample_size`` pixels (all pixels if there are
    fewer), fit K-means (``sklearn.cluster.KMeans`` or ``MiniBatchKMeans``) with
    ``n_colors`` clusters on that sample only, and return the cluster centres. The
    same ``random_state`` must give the same palette; use it for the sample and for
    K-means.

    Parameters
    ----------
    pixels : ndarray of shape (n_pixels, 3), float in [0, 1]
        Pixels as made by :func:`to_pixels`.
    n_colors : int, default=16
        Number of colours in the palette.
    random_state : int, default=0
        Seed for the sample and for K-means.
    sample_size : int, default=10_000
        Largest number of pixels to fit on.

    Returns
    -------
    ndarray of shape (n_colors, 3), float in [0, 1]
        The palette: one K-means centre per row, in the scale of the pixels.
    """
    raise NotImplementedError


def quantize(img: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Replace every pixel of ``img`` by its nearest palette colour.

    Parameters
    ----------
    img : ndarray of shape (h, w, 3), uint8
        The image to compress.
    palette : ndarray of shape (n_colors, 3), float in [0, 1]
        Palette colours, e.g. from :func:`fit_palette`.

    Returns
    -------
    ndarray of shape (h, w, 3), uint8
        Each pixel becomes the palette colour nearest to it (Euclidean distance
        between the pixel scaled to [0, 1] and the palette colour), times 255 and
        rounded to the nearest integer.
    """
    raise NotImplementedError


def psnr(original: np.ndarray, compressed: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images of the same shape, in dB.

    ``PSNR = 10 * log10(255**2 / MSE)``, where MSE is the mean squared difference
    over all pixels and all three channels. The peak is 255 for every uint8 image.
    (For identical images the MSE is 0; returning ``inf`` then is fine, and it is
    not graded.)

    Returns
    -------
    float
        The PSNR in decibels.
    """
    raise NotImplementedError


def compression_ratio(img: np.ndarray, n_colors: int) -> float:
    """How many times smaller the image gets when stored with a palette.

    The original stores 24 bits per pixel. The compressed image stores, per pixel,
    an index into the palette of ``ceil(log2(n_colors))`` bits, plus the palette
    itself: ``n_colors`` colours of 24 bits. So the ratio is
    ``(h*w*24) / (h*w*ceil(log2(n_colors)) + n_colors*24)``.

    Parameters
    ----------
    img : ndarray of shape (h, w, 3)
        The image (only its height and width matter).
    n_colors : int
        Number of palette colours.

    Returns
    -------
    float
        The compression ratio.
    """
    raise NotImplementedError
