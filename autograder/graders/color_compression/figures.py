"""Figures of a colour-compression submission: its palette and its compressed china.jpg."""

import numpy as np
from sklearn.datasets import load_sample_image

from autograder.render import plots


def palette_and_photo(student):
    """``fit_palette`` of china.jpg as swatches; ``quantize`` with it beside the original."""
    img = np.asarray(load_sample_image("china.jpg"), dtype=np.uint8)
    # the public case's call exactly, so that the memo answers it
    pixels = img.reshape(-1, 3) / 255.0
    palette = np.asarray(student.fit_palette(pixels, n_colors=16, random_state=0), dtype=float)
    out = []
    compressed = np.asarray(student.quantize(img.copy(), palette))
    if compressed.shape == img.shape:
        out.append(plots.photo(img, title="The original", caption="china.jpg, 16 million colours"))
        out.append(
            plots.photo(
                np.clip(compressed, 0, 255).astype(np.uint8),
                title="Your compressed photo",
                caption="quantize(china, your palette)",
            )
        )
    out.append(
        plots.swatches(
            palette,
            title="Your palette",
            caption=f"fit_palette(china, n_colors=16): {len(palette)} colours",
        )
    )
    return out


FIGURES = (palette_and_photo,)
