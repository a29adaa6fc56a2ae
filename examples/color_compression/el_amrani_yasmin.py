"""
Assignment: colour compression (K-means)
Name: Yasmin El Amrani

I kept everything in the 0-255 range because that is how colours are normally written
(e.g. (255, 0, 0) is red), so the palette is easier to read.
"""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image


def load_image(name="china.jpg"):
    image = load_sample_image(name)
    return image


def to_pixels(img):
    return img.reshape(-1, 3) / 255


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    rng = np.random.default_rng(random_state)
    if pixels.shape[0] > sample_size:
        sample = pixels[rng.permutation(pixels.shape[0])[:sample_size]]
    else:
        sample = pixels
    sample = sample * 255          # back to normal colour values
    km = KMeans(n_clusters=n_colors, n_init=10, random_state=random_state)
    km.fit(sample)
    return km.cluster_centers_     # palette in 0..255


def quantize(img, palette):
    h, w, _ = img.shape
    flat = img.reshape(-1, 3).astype(float)
    labels = np.zeros(len(flat), dtype=int)
    best = np.full(len(flat), np.inf)
    for i, colour in enumerate(palette):
        d = ((flat - colour) ** 2).sum(axis=1)
        closer = d < best
        best[closer] = d[closer]
        labels[closer] = i
    return np.round(palette[labels]).astype(np.uint8).reshape(h, w, 3)


def psnr(original, compressed):
    mse = np.mean((original - compressed) ** 2)
    return 10 * np.log10(255 ** 2 / mse)


def compression_ratio(img, n_colors):
    h, w, _ = img.shape
    bits = int(np.ceil(np.log2(n_colors)))
    return h * w * 24 / (h * w * bits + n_colors * 24)


if __name__ == "__main__":
    img = load_image()
    palette = fit_palette(to_pixels(img))
    print(palette.round())
    print(psnr(img, quantize(img, palette)))
