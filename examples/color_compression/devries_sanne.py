"""Colour compression with K-means.

Sanne de Vries -- K-means clustering in practice, part 2.

I use MiniBatchKMeans because it is quicker on big samples; the palette is fitted on
a random sample of pixels and then applied to the whole image.
"""

import math

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.datasets import load_sample_image


def load_image(name="china.jpg"):
    """Load a sample image from scikit-learn as uint8 (h, w, 3)."""
    return np.asarray(load_sample_image(name), dtype=np.uint8)


def to_pixels(img):
    """(h, w, 3) uint8 -> (h*w, 3) floats in [0, 1]."""
    return img.reshape(-1, 3).astype(np.float64) / 255.0


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    """K-means centres of a random sample of at most sample_size pixels."""
    rng = np.random.default_rng(random_state)
    n = min(sample_size, len(pixels))
    sample = pixels[rng.choice(len(pixels), size=n, replace=False)]
    kmeans = MiniBatchKMeans(n_clusters=n_colors, random_state=random_state, n_init=3)
    kmeans.fit(sample)
    return kmeans.cluster_centers_


def quantize(img, palette):
    """Replace every pixel by the nearest palette colour (x255, rounded)."""
    pixels = to_pixels(img)
    # squared distances via |x|^2 - 2 x.c + |c|^2, saves memory compared to broadcasting
    d = (
        (pixels**2).sum(axis=1)[:, None]
        - 2 * pixels @ palette.T
        + (palette**2).sum(axis=1)[None, :]
    )
    labels = d.argmin(axis=1)
    colours = np.rint(palette * 255).clip(0, 255).astype(np.uint8)
    return colours[labels].reshape(img.shape)


def psnr(original, compressed):
    """PSNR in dB; inf for identical images."""
    mse = np.mean((original.astype(np.float64) - compressed.astype(np.float64)) ** 2)
    if mse == 0:
        return float("inf")
    return float(10 * math.log10(255**2 / mse))


def compression_ratio(img, n_colors):
    h, w = img.shape[:2]
    bits_per_pixel = math.ceil(math.log2(n_colors))
    return (h * w * 24) / (h * w * bits_per_pixel + n_colors * 24)


if __name__ == "__main__":
    import matplotlib.pyplot as plt

    china = load_image()
    palette = fit_palette(to_pixels(china))
    small = quantize(china, palette)
    print(f"PSNR: {psnr(china, small):.2f} dB, ratio {compression_ratio(china, 16):.2f}")
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    ax[0].imshow(china)
    ax[1].imshow(small)
    plt.show()
