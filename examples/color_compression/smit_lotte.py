import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image


def load_image(name="china.jpg"):
    return load_sample_image(name)


def to_pixels(img):
    return img.reshape(-1, 3) / 255.0


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    # take a sample so it is faster
    sample = pixels[:sample_size]
    kmeans = KMeans(n_clusters=n_colors, random_state=random_state, n_init=10)
    kmeans.fit(sample)
    return kmeans.cluster_centers_


def quantize(img, palette):
    # TODO: ik snap niet hoe ik de dichtstbijzijnde kleur moet vinden
    raise NotImplementedError


def psnr(original, compressed):
    mse = np.mean((original.astype(float) - compressed.astype(float)) ** 2)
    return 10 * np.log10(255**2 / mse)


def compression_ratio(img, n_colors):
    pass
