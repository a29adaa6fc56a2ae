# Opdracht kleurcompressie - Tim Bakker
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image


def load_image(name="china.jpg"):
    return load_sample_image(name)


def to_pixels(img):
    return (img / 255.0).reshape(-1, 3)


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    # sample is eigenlijk niet nodig, kmeans is snel genoeg op alle pixels
    model = KMeans(n_clusters=n_colors, random_state=random_state)
    model.fit(pixels)
    return model.cluster_centers_


def quantize(img, palette):
    model = KMeans(n_clusters=len(palette))
    model.cluster_centers_ = palette
    model._n_threads = 1
    labels = model.predict(to_pixels(img))
    out = np.round(palette[labels] * 255).astype(np.uint8)
    return out.reshape(img.shape)


def psnr(original, compressed):
    mse = np.mean((original.astype(np.float64) - compressed.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / mse)


def compression_ratio(img, n_colors):
    h, w = img.shape[0], img.shape[1]
    # aantal bits per pixel = log2 van aantal kleuren
    bits = np.log2(n_colors)
    return (h * w * 24) / (h * w * bits + n_colors * 24)
