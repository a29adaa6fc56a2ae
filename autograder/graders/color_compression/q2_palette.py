"""Q2: fit a palette with K-means on a random sample of pixels.

Each case judges one property. The quality cases (PSNR floors) and the sample cases
judge the colours of the palette, not its scale: a palette returned in 0..255 is read
as 0..255 there, so that mistake costs the range case only, with one clear message.
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case
from sklearn.metrics import pairwise_distances_argmin

OK_FORMAT = False
name = "q2_palette"


def _support(name="_shared"):
    """``support/<name>.py`` beside this file, loaded once per process and shared by every
    question file (otter may run this file as a bare string: then ``./tests/support``)."""
    here = Path(_support.__code__.co_filename).resolve().parent
    path = (
        (here if (here / "support").is_dir() else Path.cwd() / "tests") / "support" / f"{name}.py"
    )
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


shared = _support()

PSNR_FLOOR_16 = 25.9
"""Lowest PSNR (dB) of china.jpg quantised (by the grader) with the 16-colour palette
(the public case's title states it too). Over 20 seeds legitimate fits reach >= 26.54
(KMeans with one random-init run is the weakest), palettes of random pixels (no
K-means) <= 25.24, a sample of the first rows <= 7.7: the floor sits half-way. See
docs/calibration/color_compression.md, "psnr"."""

_hidden_PSNR_FLOOR_64 = 30.3
"""The same for china.jpg with 64 colours: legitimate >= 31.03, bugs <= 29.66."""

_hidden_PSNR_FLOOR_FLOWER_16 = 26.8
"""The same for flower.jpg with 16 colours: legitimate >= 27.62, bugs <= 26.05."""

_hidden_PSNR_FLOOR_FLOWER_8 = 24.5
"""The same for flower.jpg with 8 colours: legitimate >= 25.10, bugs <= 24.00."""

RANGE_ATOL = 1e-6
"""Slack on the [0, 1] bounds of a palette (float32 centres)."""

ROW_ATOL = 1e-6
"""Largest distance between a palette colour and an input pixel (or the segment between
two) for the colour to count as made of them. Float32 fits are off by < 1e-7, fits on
all pixels by > 1e-3; see docs/calibration/color_compression.md, "sample"."""

SAME_ATOL = 1e-9
"""Palettes that differ by less than this in every value count as the same."""

DEPENDS = {
    "psnr_china_16": ["fit_palette"],
    "other_n_colors": ["fit_palette"],
    "same_seed_same_palette": ["fit_palette"],
    "other_seed_other_palette": ["fit_palette"],
    "honours_sample_size": ["fit_palette"],
    "hidden_sample_size": ["fit_palette"],
    "hidden_psnr_china_64": ["fit_palette"],
    "hidden_psnr_flower_16": ["fit_palette"],
    "hidden_psnr_flower_8": ["fit_palette"],
    "hidden_few_pixels": ["fit_palette"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""


@functools.cache
def _colours(filename):
    """The distinct colours of an image and, per pixel, the index of its colour."""
    unique, inverse = np.unique(shared.codes(shared.image(filename)), return_inverse=True)
    return shared.colours_of(unique), inverse.ravel()


_palette = shared.palette_of


def _checked(palette, n_colors, hidden=False):
    """``palette`` as a float array, checked to hold ``n_colors`` finite colours."""
    assert palette is not None, (
        "fit_palette returned None\nhint: end the function with `return ...`."
    )
    out = np.asarray(palette)
    assert out.shape == (n_colors, 3), (
        f"asked for {n_colors} colours, fit_palette returned shape {out.shape}; "
        f"expected ({n_colors}, 3)\n"
        "hint: one row per colour, one column per channel; use n_colors, not a fixed number."
        if not hidden
        else "fit_palette did not return one row of 3 values per requested colour\n"
        "hint: one row per colour, one column per channel; use n_colors, not a fixed number."
    )
    assert out.dtype.kind in "fiu" and np.isfinite(out).all(), (
        f"fit_palette returned {out.dtype} values; expected finite floats"
    )
    return out.astype(np.float64)


def _distinct(palette, n_colors, hidden=False):
    """Fail unless the palette's colours are all different (else nothing can be judged)."""
    found = len(np.unique(palette, axis=0))
    assert found == n_colors, (
        f"asked for {n_colors} colours, fit_palette returned {found} different ones"
        if not hidden
        else "fit_palette returned a palette in which some colours are the same"
    ) + (
        ", so this cannot be judged\n"
        "hint: the palette is the n_colors K-means centres of the sampled pixels, which differ."
    )
    return palette


def _unit_scale(palette):
    """The palette in 0..1: a palette in 0..255 (the range cases fail it) is divided by 255."""
    return palette / 255.0 if palette.max() > 1.5 else palette


def _psnr_of_palette(filename, palette):
    """PSNR (dB) of the image against the grader's own quantisation with ``palette``."""
    colours, inverse = _colours(filename)
    nearest = pairwise_distances_argmin(colours / 255.0, palette)
    rounded = np.clip(np.rint(palette * 255.0), 0, 255)
    error = colours.astype(np.float64) - rounded[nearest]
    mse = float(np.mean(np.sum(error**2, axis=1)[inverse])) / 3.0
    return 10.0 * np.log10(255.0**2 / mse)


def _check_psnr(palette, filename, n_colors, floor, hidden=False):
    palette = _unit_scale(_checked(palette, n_colors, hidden))
    value = _psnr_of_palette(filename, palette)
    assert value >= floor, (
        f"quantised with your {n_colors}-colour palette, "
        + (
            f"this image has a PSNR of {value:.2f} dB, below the required floor"
            if hidden
            else f"{filename} has a PSNR of {value:.2f} dB; required at least {floor:.1f} dB"
        )
        + "\nhint: the palette should be the K-means centres of a random sample of all "
        "pixels, fitted with n_colors clusters."
    )


def _sorted_rows(palette):
    return palette[np.lexsort(palette.T[::-1])]


@test_case(name="fit_palette returns n_colors colours with values in [0, 1]", points=2)
def palette_range(fit_palette):
    palette = _palette(fit_palette, "china.jpg", 16)
    _checked(palette, 16)
    out = np.asarray(palette)
    assert out.dtype.kind == "f", (
        f"fit_palette returned {out.dtype} values; expected floats in [0, 1]\n"
        "hint: return the K-means centres as they are (cluster_centers_)."
    )
    lo, hi = float(out.min()), float(out.max())
    assert lo >= -RANGE_ATOL and hi <= 1.0 + RANGE_ATOL, (
        f"the palette holds values from {lo:.4g} to {hi:.4g}; expected values in [0, 1]\n"
        "hint: fit on the pixels as given (0..1) and do not multiply the centres by 255."
    )


@test_case(
    name="the 16-colour palette reproduces china.jpg with a PSNR of at least 25.9 dB", points=3
)
def psnr_china_16(fit_palette):
    _check_psnr(_palette(fit_palette, "china.jpg", 16), "china.jpg", 16, PSNR_FLOOR_16)


@test_case(name="fit_palette returns as many colours as n_colors asks for", points=1)
def other_n_colors(fit_palette):
    _checked(_palette(fit_palette, "china.jpg", 8), 8)


@test_case(name="fit_palette gives the same palette for the same random_state", points=1)
def same_seed_same_palette(fit_palette):
    first = _distinct(_checked(_palette(fit_palette, "china.jpg", 16), 16), 16)
    pixels = shared.pixels("china.jpg").copy()
    second = _checked(fit_palette(pixels, n_colors=16, random_state=0), 16)
    gap = float(np.max(np.abs(first - second)))
    assert gap <= SAME_ATOL, (
        f"two calls with random_state=0 gave palettes that differ by up to {gap:.3g}\n"
        "hint: draw the sample with numpy.random.default_rng(random_state) and pass "
        "random_state on to KMeans."
    )


@test_case(name="fit_palette gives another palette for another random_state", points=1)
def other_seed_other_palette(fit_palette):
    first = _sorted_rows(_checked(_palette(fit_palette, "china.jpg", 16), 16))
    other = _sorted_rows(_checked(_palette(fit_palette, "china.jpg", 16, random_state=1), 16))
    assert float(np.max(np.abs(first - other))) > SAME_ATOL, (
        "random_state=0 and random_state=1 gave the same palette\n"
        "hint: use random_state for the sample (numpy.random.default_rng(random_state)) "
        "and for KMeans, instead of a fixed seed."
    )


def _distinct_pixels(seed, n):
    """``n`` distinct colours (multiples of 1/255), as rows in [0, 1] (read-only)."""
    codes = np.random.default_rng(seed).choice(256**3, size=n, replace=False)
    pixels = shared.colours_of(codes) / 255.0
    pixels.flags.writeable = False
    return pixels


@functools.cache
def _sample_input():
    return _distinct_pixels(7_345, 3_000)


def _outside_sample(palette, pixels):
    """How many palette colours cannot come from a fit on at most two input pixels.

    K-means (also MiniBatchKMeans, whose centres are running means) fitted on the
    sampled pixels puts every centre at a weighted mean of them. With a sample of at
    most two pixels p and q, all colours lie on the segment from p to q (p = q for a
    sample of one). A fit on many pixels puts them at means of hundreds of pixels,
    which no two input pixels explain.
    """
    if np.ptp(palette, axis=0).max() <= ROW_ATOL:  # one colour (or copies): must be a pixel
        gap = np.abs(pixels - palette[0]).max(axis=1).min()
        return 0 if gap <= ROW_ATOL else len(palette)
    start, end = palette[0], palette[np.argmax(np.abs(palette - palette[0]).max(axis=1))]
    length = np.linalg.norm(end - start)
    unit = (end - start) / length
    along = (pixels - start) @ unit
    across = np.linalg.norm(pixels - start - along[:, None] * unit, axis=1)
    on_line = along[across <= ROW_ATOL]
    t = (palette - start) @ unit
    off = np.linalg.norm(palette - start - t[:, None] * unit, axis=1) > ROW_ATOL
    if len(on_line) == 0:
        return len(palette)
    return int(np.sum(off | (t < on_line.min() - ROW_ATOL) | (t > on_line.max() + ROW_ATOL)))


def _check_sampled(fit_palette, pixels, n_colors, random_state, hidden=False):
    """With sample_size == n_colors <= 2 the palette must come from that many pixels."""
    palette = fit_palette(
        pixels.copy(), n_colors=n_colors, random_state=random_state, sample_size=n_colors
    )
    palette = _unit_scale(_checked(palette, n_colors, hidden))
    outside = _outside_sample(palette, pixels)
    assert outside == 0, (
        f"with sample_size={n_colors} the palette must be the {n_colors} sampled pixels or "
        f"lie between them; {outside} of your {n_colors} colours are not\n"
        "hint: draw at most sample_size pixels at random and fit K-means on that sample only."
        if not hidden
        else "with a tiny sample_size some palette colours are not made of the sampled pixels"
        "\nhint: draw at most sample_size pixels at random and fit K-means on that sample only."
    )


@test_case(name="fit_palette fits on a random sample of at most sample_size pixels", points=2)
def honours_sample_size(fit_palette):
    _check_sampled(fit_palette, _sample_input(), 2, 0)


@functools.cache
def _hidden_sample_input():
    return _distinct_pixels(1_208, 5_000)


@test_case(name="fit_palette honours sample_size for other arguments", points=1, hidden=True)
def hidden_sample_size(fit_palette):
    _check_sampled(fit_palette, _hidden_sample_input(), 1, 5, hidden=True)


@test_case(name="the 64-colour palette reproduces china.jpg well", points=1, hidden=True)
def hidden_psnr_china_64(fit_palette):
    palette = _palette(fit_palette, "china.jpg", 64)
    _check_psnr(palette, "china.jpg", 64, _hidden_PSNR_FLOOR_64, hidden=True)


@test_case(name="the 16-colour palette reproduces another photo well", points=1, hidden=True)
def hidden_psnr_flower_16(fit_palette):
    palette = _palette(fit_palette, "flower.jpg", 16)
    _check_psnr(palette, "flower.jpg", 16, _hidden_PSNR_FLOOR_FLOWER_16, hidden=True)


@test_case(name="an 8-colour palette reproduces another photo well", points=1, hidden=True)
def hidden_psnr_flower_8(fit_palette):
    palette = _palette(fit_palette, "flower.jpg", 8)
    _check_psnr(palette, "flower.jpg", 8, _hidden_PSNR_FLOOR_FLOWER_8, hidden=True)


@functools.cache
def _hidden_small_image_pixels():
    """500 pixels of a small random image: fewer than the default sample_size."""
    rng = np.random.default_rng(3_170)
    pixels = rng.integers(0, 256, size=(500, 3)) / 255.0
    pixels.flags.writeable = False
    return pixels


@test_case(
    name="fit_palette works when there are fewer pixels than sample_size", points=1, hidden=True
)
def hidden_few_pixels(fit_palette):
    palette = fit_palette(_hidden_small_image_pixels().copy(), n_colors=4, random_state=0)
    _distinct(_checked(palette, 4, hidden=True), 4, hidden=True)
