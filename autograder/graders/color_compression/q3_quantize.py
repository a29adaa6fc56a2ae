"""Q3: replace every pixel by its nearest palette colour.

The palettes here are the grader's own, so a mistake in fit_palette never costs a
quantize case.
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q3_quantize"


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

TIE_ATOL = 1e-5
"""Squared distances (pixels in 0..1) within this of a pixel's smallest one count as
ties: any of the tied colours is accepted. Float32 arithmetic is off by up to 7.4e-7
(measured); see docs/calibration/color_compression.md, "nearest"."""

ROUND_ATOL = 1e-6
"""A value counts as ``palette * 255`` rounded if it is within 0.5 + this of it."""

DEPENDS = {
    "few_colours": ["quantize"],
    "nearest_colour": ["quantize"],
    "hidden_flower_64": ["quantize"],
    "hidden_small_image": ["quantize"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

_image, _reference_palette, _codes = shared.image, shared.reference_palette, shared.codes


def _checked(img, out, what, hidden=False):
    """``out`` checked to be a uint8 image of the shape of ``img``."""
    assert out is not None, "quantize returned None\nhint: end the function with `return ...`."
    out = np.asarray(out)
    assert out.shape == img.shape, (
        f"{what} has shape {out.shape}; expected {img.shape}, the shape of the image"
        if not hidden
        else f"{what} does not have the shape of the image"
    ) + "\nhint: reshape the result back to the image's shape (h, w, 3)."
    assert out.dtype == np.uint8, (
        f"{what} holds {out.dtype} values; expected uint8\n"
        "hint: round the colours times 255, then convert with .astype(np.uint8)."
    )
    return out


def _values(img, out, what, hidden=False):
    """``out`` as float values in the shape of ``img``: one colour per pixel.

    Only the shape-and-dtype case insists on (h, w, 3) uint8; the other cases judge the
    colours of any result that holds one number per pixel and channel, so a missing
    reshape or astype costs that one case.
    """
    assert out is not None, "quantize returned None\nhint: end the function with `return ...`."
    out = np.asarray(out)
    assert out.size == img.size and out.dtype.kind in "biuf", (
        f"{what} holds {out.size:,} values of type {out.dtype}; expected {img.size:,} "
        "numbers, 3 per pixel"
        if not hidden
        else f"{what} does not hold 3 numbers per pixel of the image"
    ) + "\nhint: return one (red, green, blue) per pixel, in the image's shape (h, w, 3)."
    return out.reshape(img.shape).astype(np.float64)


def _distinct_colours(values):
    """Number of distinct (r, g, b) rows among float values of any shape (..., 3)."""
    flat = values.reshape(-1, 3)
    if np.all((flat == np.rint(flat)) & (flat >= 0) & (flat <= 255)):
        return len(np.unique(_codes(flat)))
    return len(np.unique(flat, axis=0))


def _squared_distances(colours, palette):
    """(n, k) squared Euclidean distances between rows of colours and of palette."""
    return (
        (colours**2).sum(axis=1)[:, None]
        - 2.0 * colours @ palette.T
        + (palette**2).sum(axis=1)[None, :]
    )


def _wrong_pixels(img, out, palette):
    """Mask of pixels of ``out`` that are not their nearest palette colour * 255, rounded.

    Nearest means: among the colours whose squared distance to the pixel (in 0..1) is
    within TIE_ATOL of the smallest, measured to the palette as given or to the palette
    rounded to whole 0..255 values (the contract's wording allows both readings; they
    differ only for near-ties). The value must be within 0.5 of that colour * 255 in
    every channel, and a whole number in 0..255. Judged once per distinct (input colour,
    output colour) pair.
    """
    flat = out.reshape(-1, 3)
    whole = np.all((flat == np.rint(flat)) & (flat >= 0) & (flat <= 255), axis=1)
    pairs, first, inverse = np.unique(
        _codes(img) << 24 | _codes(np.clip(np.rint(flat), 0, 255)),
        return_index=True,
        return_inverse=True,
    )
    colours = img.reshape(-1, 3)[first] / 255.0
    values = np.clip(np.rint(flat[first]), 0, 255)
    scaled = palette * 255.0
    near = np.zeros((len(pairs), len(palette)), dtype=bool)
    for reference in (palette, np.clip(np.rint(scaled), 0, 255) / 255.0):
        d = _squared_distances(colours, reference)
        near |= d <= d.min(axis=1, keepdims=True) + TIE_ATOL
        if reference is palette:
            best = d.argmin(axis=1)
    ok = np.all(np.abs(values - scaled[best]) <= 0.5 + ROUND_ATOL, axis=1)
    tied = np.flatnonzero(~ok & (near.sum(axis=1) > 1))
    if len(tied):  # any of the tied colours will do
        rounds_to = np.all(np.abs(values[tied, None, :] - scaled) <= 0.5 + ROUND_ATOL, axis=2)
        ok[tied] = np.any(rounds_to & near[tied], axis=1)
    return ~ok[inverse.ravel()] | ~whole


def _hint(img, out, palette, wrong):
    """One line that names the likely mistake behind the wrong pixels."""
    pixels = img.reshape(-1, 3)[wrong] / 255.0
    nearest = np.argmin(((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2), axis=1)
    got = out.reshape(-1, 3)[wrong]
    if np.any(got != np.rint(got)):
        return "hint: round the colours times 255 to whole numbers (np.rint)."
    if np.all(got <= 1):
        return "hint: the palette is in 0..1; multiply it by 255 before converting to uint8."
    if np.mean(np.all(got == np.floor(palette[nearest] * 255.0), axis=1)) > 0.5:
        return "hint: round (np.rint) before .astype(np.uint8), which cuts off the decimals."
    return (
        "hint: compare each pixel, scaled to 0..1, with every palette colour and take the "
        "colour at the smallest Euclidean distance."
    )


def _check_nearest(img, out, palette, hidden=False):
    wrong = _wrong_pixels(img, out, palette)
    count = int(wrong.sum())
    if count == 0:
        return
    if hidden:
        detail = "on another image some pixels are not their nearest palette colour"
    else:
        i = int(np.flatnonzero(wrong)[0])
        row, col = divmod(i, img.shape[1])
        pixel = img.reshape(-1, 3)[i]
        j = int(np.argmin(((pixel / 255.0 - palette) ** 2).sum(axis=1)))
        expected = np.rint(palette[j] * 255.0).astype(int)
        detail = (
            f"{count:,} of {len(wrong):,} pixels are not their nearest palette colour x 255, "
            f"rounded; e.g. pixel (row {row}, column {col}) {pixel.tolist()} became "
            f"{[float(v) if v != int(v) else int(v) for v in out.reshape(-1, 3)[i]]}; "
            f"expected {expected.tolist()}"
        )
    raise AssertionError(detail + "\n" + _hint(img, out, palette, wrong))


@test_case(name="quantize returns a uint8 image of the same shape", points=1)
def shape_and_dtype(quantize):
    img = _image("china.jpg")
    _checked(img, shared.default_quantized(quantize), "quantize(china, palette)")


@test_case(name="quantize uses at most the 16 colours of the palette", points=1)
def few_colours(quantize):
    img = _image("china.jpg")
    out = _values(img, shared.default_quantized(quantize), "quantize(china, palette)")
    found = _distinct_colours(out)
    assert 1 < found <= 16, (
        f"the result has {found:,} distinct colours; expected at most 16"
        + (", and more than 1: china.jpg is not one colour" if found <= 1 else "")
        + "\nhint: every pixel must become one whole palette colour, not a mix of channels."
    )


@test_case(name="quantize maps every pixel to its nearest palette colour x 255, rounded", points=3)
def nearest_colour(quantize):
    img = _image("china.jpg")
    out = _values(img, shared.default_quantized(quantize), "quantize(china, palette)")
    _check_nearest(img, out, _reference_palette("china.jpg", 16))


@test_case(name="quantize works on another photo with a larger palette", points=1, hidden=True)
def hidden_flower_64(quantize):
    img = _hidden_flower_crop()
    palette = _reference_palette("flower.jpg", 64)
    out = _values(img, quantize(img.copy(), palette.copy()), "quantize", hidden=True)
    found = _distinct_colours(out)
    assert found <= 64, (
        "on another image the result has more distinct colours than the palette\n"
        "hint: every pixel must become one whole palette colour, not a mix of channels."
    )
    _check_nearest(img, out, _reference_palette("flower.jpg", 64), hidden=True)


@functools.cache
def _hidden_flower_crop():
    """The middle of flower.jpg (200 x 300 pixels): the nearest-colour rule needs no more."""
    img = _image("flower.jpg")[110:310, 170:470].copy()
    img.flags.writeable = False
    return img


@functools.cache
def _hidden_small_case():
    """A small odd-shaped image and a hand-made 5-colour palette without near-ties.

    The palette values times 255 have fractions well away from .5, half of them above
    (rounding and cutting off differ there).
    """
    rng = np.random.default_rng(9_032)
    whole = rng.integers(10, 245, size=(5, 3))
    fraction = rng.choice([0.2, 0.3, 0.7, 0.8], size=(5, 3))
    palette = (whole + fraction) / 255.0
    while True:
        img = rng.integers(0, 256, size=(19, 29, 3), dtype=np.uint8)
        d = np.sort(((img.reshape(-1, 1, 3) / 255.0 - palette) ** 2).sum(axis=2), axis=1)
        if np.min(d[:, 1] - d[:, 0]) > 1e-4:
            break
    img.flags.writeable = False
    palette.flags.writeable = False
    return img, palette


@test_case(name="quantize works on a small image with a hand-made palette", points=1, hidden=True)
def hidden_small_image(quantize):
    img, palette = _hidden_small_case()
    out = _values(img, quantize(img.copy(), palette.copy()), "quantize", hidden=True)
    _check_nearest(img, out, palette, hidden=True)
