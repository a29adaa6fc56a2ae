import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image

N_COLORS = 16


def load_image(name="china.jpg"):
    return load_sample_image(name)


def to_pixels(img):
    img = img.astype(float)
    return (img / img.max()).reshape(-1, 3)   # normalise to 0-1


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    rng = np.random.default_rng(42)
    sample = pixels[rng.choice(len(pixels), min(len(pixels), sample_size), replace=False)]
    kmeans = KMeans(n_clusters=N_COLORS, random_state=42, n_init="auto").fit(sample)
    return kmeans.cluster_centers_


def quantize(img, palette):
    from sklearn.metrics import pairwise_distances_argmin

    labels = pairwise_distances_argmin(to_pixels(img), palette)
    return np.round(palette[labels] * 255).astype(np.uint8).reshape(img.shape)


def psnr(original, compressed):
    mse = ((original.astype(float) - compressed) ** 2).mean()
    return 20 * np.log10(255) - 10 * np.log10(mse)


def compression_ratio(img, n_colors):
    pixels = img.shape[0] * img.shape[1]
    return pixels * 24 / (pixels * np.ceil(np.log2(n_colors)) + n_colors * 24)
