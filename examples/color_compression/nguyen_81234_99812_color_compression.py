# Color compression with k-means
# Minh Nguyen
import math
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image


def load_image(name="china.jpg"):
    img = load_sample_image(name)
    print("loaded", name, img.shape)
    return img


def to_pixels(img):
    rows = []
    for row in img:
        for pixel in row:
            rows.append([pixel[0] / 255, pixel[1] / 255, pixel[2] / 255])
    return np.array(rows)


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    np.random.seed(random_state)
    size = min(sample_size, len(pixels))
    idx = np.random.choice(len(pixels), size, replace=False)
    km = KMeans(n_clusters=n_colors, random_state=random_state, n_init=5).fit(pixels[idx])
    return km.cluster_centers_


def nearest_colour(pixel, palette):
    best_i = 0
    best_d = float("inf")
    for i in range(len(palette)):
        d = 0
        for c in range(3):
            d += (pixel[c] - palette[i][c]) ** 2
        if d < best_d:
            best_d = d
            best_i = i
    return best_i


def quantize(img, palette):
    palette = np.asarray(palette).tolist()
    colours = [[round(v * 255) for v in colour] for colour in palette]
    h, w = img.shape[0], img.shape[1]
    out = np.zeros((h, w, 3), dtype=np.uint8)
    scaled = (img / 255).tolist()
    for y in range(h):
        for x in range(w):
            out[y, x] = colours[nearest_colour(scaled[y][x], palette)]
    return out


def psnr(original, compressed):
    total = np.sum((original.astype(np.int64) - compressed.astype(np.int64)) ** 2)
    mse = total / original.size
    return 10 * math.log10(255 * 255 / mse)


def compression_ratio(img, n_colors):
    h, w = img.shape[0], img.shape[1]
    bits = 1
    while 2**bits < n_colors:
        bits += 1
    return h * w * 24 / (h * w * bits + n_colors * 24)
