"""Q1: load a sample image and turn it into a table of pixels."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_images"


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

DEPENDS = {
    "hidden_load_flower": ["load_image"],
    "hidden_pixels_dark": ["to_pixels"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

SCALE_ATOL = 1e-4
"""Largest gap, in 0..255 units, between ``to_pixels(img) * 255`` and whole numbers.
Dividing by 255 in float32 is off by <= 7.6e-6 (measured), dividing by 256 or by the
image's maximum by up to 0.5 (>= 0.49 on the calibration images); see
docs/calibration/color_compression.md, "pixels"."""


def _as_image(value, label, shape):
    """``value`` checked to be a uint8 image of ``shape``."""
    assert value is not None, f"{label} returned None\nhint: end the function with `return ...`."
    img = np.asarray(value)
    assert img.shape == shape, (
        f"{label} has shape {img.shape}; expected {shape}\n"
        "hint: return the image as loaded: height, width, then the 3 colour channels."
    )
    assert img.dtype == np.uint8, (
        f"{label} holds {img.dtype} values; expected uint8 (0..255)\n"
        "hint: return the image as loaded, without converting or scaling it."
    )
    return img


def _check_pixels(img, pixels, hidden=False):
    """Fail unless ``pixels`` holds one row per pixel of ``img``, scaled to [0, 1].

    On a hidden image the messages say what is wrong without the image's numbers.
    """
    what = "to_pixels on another image" if hidden else "to_pixels(china)"
    assert pixels is not None, "to_pixels returned None\nhint: end the function with `return ...`."
    out = np.asarray(pixels)
    n = img.shape[0] * img.shape[1]
    assert out.shape == (n, 3), (
        f"{what} does not have one row of 3 values per pixel"
        + ("" if hidden else f": shape {out.shape}; expected ({n}, 3)")
        + "\nhint: img.reshape(-1, 3) keeps the 3 channels of each pixel together."
    )
    assert out.dtype.kind == "f", (
        f"{what} holds {out.dtype} values; expected floats in [0, 1]\n"
        "hint: divide by 255.0 to get floats."
    )
    lo, hi = float(out.min()), float(out.max())
    assert np.isfinite(out).all() and lo >= 0.0 and hi <= 1.0, (
        f"{what} holds values from {lo:.4g} to {hi:.4g}; expected values in [0, 1]\n"
        "hint: divide the 0..255 values by 255."
    )
    scaled = out.astype(np.float64) * 255.0
    levels = np.rint(scaled)
    off = float(np.max(np.abs(scaled - levels)))
    assert off <= SCALE_ATOL, (
        f"{what} times 255 is off from whole numbers by up to {off:.3f}\n"
        "hint: divide by 255 exactly, not by 256 or by the largest value of the image."
    )
    # Rows may come in any order; each must be one pixel with its channels in order.
    got = np.sort(shared.codes(levels))
    want = np.sort(shared.codes(img))
    differ = int(np.sum(got != want))
    assert differ == 0, (
        f"{what}: "
        + ("some rows" if hidden else f"{differ:,} of {n:,} rows")
        + " are not the (red, green, blue) of a pixel of the image\n"
        "hint: use img.reshape(-1, 3): a row is the 3 channels of one pixel."
    )


@test_case(name="load_image() returns china.jpg as a uint8 array of shape (427, 640, 3)", points=1)
def load_china(load_image):
    loaded = shared.KIT.memo.call("default", load_image)
    img = _as_image(loaded, "load_image()", (427, 640, 3))
    differ = int(np.sum(img != shared.image("china.jpg")))
    assert differ == 0, (
        f"{differ:,} values of load_image() differ from china.jpg\n"
        "hint: use sklearn.datasets.load_sample_image(name)."
    )


@test_case(name="load_image loads the image it is asked for", points=1, hidden=True)
def hidden_load_flower(load_image):
    img = _as_image(load_image("flower.jpg"), "load_image(another name)", (427, 640, 3))
    assert np.array_equal(img, shared.image("flower.jpg")), (
        "load_image(another name) does not return the pixels of that image\n"
        "hint: load the image named by the argument `name`."
    )


@test_case(name="to_pixels gives one row per pixel of china.jpg, scaled to [0, 1]", points=1)
def pixels_china(to_pixels):
    img = shared.image("china.jpg")
    _check_pixels(img, shared.KIT.memo.call("default", to_pixels, img.copy()))


@functools.cache
def _hidden_dark_image():
    """A small dark image (values 0..139) with an odd shape."""
    rng = np.random.default_rng(5_501)
    img = rng.integers(0, 140, size=(23, 37, 3), dtype=np.uint8)
    img.flags.writeable = False
    return img


@test_case(name="to_pixels works on an image of another size and brightness", points=1, hidden=True)
def hidden_pixels_dark(to_pixels):
    img = _hidden_dark_image()
    _check_pixels(img, to_pixels(img.copy()), hidden=True)
