import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.cluster import KMeans


def load_image(name="china.jpg"):
    img = load_sample_image(name)
    return img


def to_pixels(img):
    h, w, c = img.shape
    pixels = img.reshape(h * w, c)
    pixels = pixels / 255
    return pixels


def fit_palette(pixels, n_colors=16, random_state=0, sample_size=10_000):
    rng = np.random.default_rng(random_state)
    if len(pixels) > sample_size:
        indices = rng.choice(len(pixels), sample_size, replace=False)
        sample = pixels[indices]
    else:
        sample = pixels
    kmeans = KMeans(n_clusters=n_colors, random_state=random_state)
    kmeans.fit(sample)
    return kmeans.cluster_centers_


def quantize(img, palette):
    pixels = to_pixels(img)
    # distance from every pixel to every colour in the palette
    distances = np.linalg.norm(pixels[:, np.newaxis, :] - palette[np.newaxis, :, :], axis=2)
    labels = np.argmin(distances, axis=1)
    new_pixels = palette[labels] * 255
    new_img = new_pixels.reshape(img.shape).astype(np.uint8)
    return new_img


def psnr(original, compressed):
    original = original.astype(float)
    compressed = compressed.astype(float)
    mse = np.mean((original - compressed) ** 2)
    max_pixel = np.max(original)
    return 10 * np.log10(max_pixel**2 / mse)


def compression_ratio(img, n_colors):
    h = img.shape[0]
    w = img.shape[1]
    original_bits = h * w * 24
    compressed_bits = h * w * np.ceil(np.log2(n_colors)) + n_colors * 24
    return original_bits / compressed_bits


# testing
# img = load_image()
# pal = fit_palette(to_pixels(img))
# q = quantize(img, pal)
# print(psnr(img, q))
