"""Q4: measure the loss (PSNR) and the gain (compression ratio)."""

import functools
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q4_metrics"


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
    "hidden_psnr_dark": ["psnr"],
    "hidden_psnr_flower": ["psnr"],
    "hidden_ratio_other": ["compression_ratio"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

PSNR_ATOL = 1e-4
"""Largest accepted gap (dB) from 10*log10(255**2 / MSE). Float32 arithmetic is off by
< 1e-5 dB; the known mistakes are off by >= 0.05 dB; see
docs/calibration/color_compression.md, "psnr and compression_ratio"."""

RATIO_RTOL = 1e-9
"""Relative tolerance on the compression ratio (the formula is exact arithmetic)."""


def _reference_psnr(original, compressed):
    """10*log10(255**2 / MSE), the MSE over all pixels and channels."""
    mse = np.mean((original.astype(np.float64) - compressed.astype(np.float64)) ** 2)
    return 10.0 * math.log10(255.0**2 / mse)


@functools.cache
def _posterised_china():
    """china.jpg with 4 levels per channel (64 colours): a lossy copy to measure."""
    img = (shared.image("china.jpg") // 64 * 64 + 32).astype(np.uint8)
    img.flags.writeable = False
    return img


def _number(value, what):
    """``value`` checked to be one real number."""
    assert value is not None, f"{what} returned None\nhint: end the function with `return ...`."
    arr = np.asarray(value)
    assert arr.shape == () and arr.dtype.kind in "fiu", (
        f"{what} returned {type(value).__name__}"
        + (f" of shape {arr.shape}" if arr.shape else "")
        + "; expected one number"
    )
    return float(arr)


def _psnr_hint(original, compressed, value):
    """One line that names the likely mistake behind a wrong PSNR."""
    a, b = original.astype(np.float64), compressed.astype(np.float64)
    mse = np.mean((a - b) ** 2)
    with np.errstate(all="ignore"):
        per_channel = [np.mean((a[..., c] - b[..., c]) ** 2) for c in range(3)]
        wrapped = np.mean((original - compressed) ** 2)  # what uint8 arithmetic gives
        known = [
            (10 * np.log10(1.0 / mse), "the peak of a uint8 image is 255, not 1."),
            (
                10 * np.log10(float(original.max()) ** 2 / mse),
                "the peak is 255 for every uint8 image, not the largest value of the image.",
            ),
            (
                10 * np.log10(255.0**2 / wrapped),
                "convert to float before subtracting: uint8 arithmetic wraps around "
                "(3 - 5 gives 254).",
            ),
            (
                10 * np.log10(255.0**2 / (3 * mse)),
                "average the squared error over the 3 channels too, not only over the pixels.",
            ),
            (
                np.mean([10 * np.log10(255.0**2 / m) for m in per_channel]),
                "compute one MSE over all pixels and all channels, then one PSNR.",
            ),
        ]
    for wrong, hint in known:
        if np.isfinite(wrong) and abs(value - wrong) <= 1e-3:
            return "hint: " + hint
    return "hint: PSNR = 10 * log10(255**2 / MSE), the MSE over all pixels and channels."


def _check_psnr(psnr, original, compressed, hidden=False, key=None):
    """Fail unless ``psnr`` gives 10*log10(255**2 / MSE) (``key``: memoise the call)."""
    if key is None:
        value = psnr(original.copy(), compressed.copy())
    else:
        value = shared.KIT.memo.call(key, psnr, original.copy(), compressed.copy())
    value = _number(value, "psnr")
    expected = _reference_psnr(original, compressed)
    if abs(value - expected) <= PSNR_ATOL:
        return
    if hidden:
        detail = "on other images psnr differs from 10 * log10(255**2 / MSE)"
    else:
        detail = f"psnr gave {value:.4f} dB; expected {expected:.4f} dB"
    raise AssertionError(detail + "\n" + _psnr_hint(original, compressed, value))


@test_case(name="psnr of china.jpg and a posterised copy is 10 log10(255^2 / MSE)", points=2)
def psnr_china(psnr):
    _check_psnr(psnr, shared.image("china.jpg"), _posterised_china(), key="default")


@functools.cache
def _hidden_dark_pair():
    """A dark image (values 0..119) and a noisy copy of it (errors up to 40)."""
    rng = np.random.default_rng(6_642)
    original = rng.integers(0, 120, size=(40, 50, 3), dtype=np.uint8)
    noise = rng.integers(-40, 41, size=original.shape)
    compressed = np.clip(original.astype(int) + noise, 0, 119).astype(np.uint8)
    original.flags.writeable = False
    compressed.flags.writeable = False
    return original, compressed


@test_case(name="psnr uses the peak 255 also for a dark image", points=1, hidden=True)
def hidden_psnr_dark(psnr):
    _check_psnr(psnr, *_hidden_dark_pair(), hidden=True)


@functools.cache
def _hidden_flower_pair():
    """flower.jpg and a copy with a few large errors, the kind uint8 arithmetic breaks."""
    original = shared.image("flower.jpg")
    compressed = original.copy()
    rng = np.random.default_rng(2_287)
    rows = rng.integers(0, original.shape[0], 4_000)
    cols = rng.integers(0, original.shape[1], 4_000)
    compressed[rows, cols] = 255 - compressed[rows, cols]
    compressed.flags.writeable = False
    return original, compressed


@test_case(name="psnr is right on another photo", points=1, hidden=True)
def hidden_psnr_flower(psnr):
    _check_psnr(psnr, *_hidden_flower_pair(), hidden=True)


def _reference_ratio(h, w, n_colors):
    return h * w * 24 / (h * w * math.ceil(math.log2(n_colors)) + n_colors * 24)


def _ratio_hint(h, w, n_colors, value):
    """One line that names the likely mistake behind a wrong compression ratio."""
    pixels, bits = h * w, math.ceil(math.log2(n_colors))
    palette = n_colors * 24
    known = [
        (
            pixels * 24 / (pixels * (int(math.log2(n_colors)) + 1) + palette),
            "an index of n colours takes ceil(log2 n) bits: 16 colours take 4 bits, not 5.",
        ),
        (24 / bits, "count the palette too: n_colors * 24 bits."),
        (
            pixels * 24 / (pixels * math.log2(n_colors) + palette),
            "bits are whole numbers: use ceil(log2 n_colors).",
        ),
        (
            pixels * 3 * 24 / (pixels * 3 * bits + palette),
            "count pixels as h * w, not h * w * 3 (img.size).",
        ),
    ]
    for wrong, hint in known:
        if math.isclose(value, wrong, rel_tol=1e-6):
            return "hint: " + hint
    return "hint: (h*w*24) / (h*w*ceil(log2 n_colors) + n_colors*24)."


@test_case(name="compression_ratio of china.jpg with 16 colours", points=1)
def ratio_china(compression_ratio):
    img = shared.image("china.jpg")
    value = shared.KIT.memo.call("default", compression_ratio, img.copy(), 16)
    value = _number(value, "compression_ratio")
    expected = _reference_ratio(427, 640, 16)
    assert math.isclose(value, expected, rel_tol=RATIO_RTOL), (
        f"compression_ratio(china, 16) gave {value:.6f}; expected {expected:.6f}\n"
        + _ratio_hint(427, 640, 16, value)
    )


_hidden_ratio_cases = ((60, 80, 5), (31, 47, 10), (64, 64, 2), (50, 20, 100), (12, 90, 256))


@test_case(name="compression_ratio for other sizes and palette sizes", points=2, hidden=True)
def hidden_ratio_other(compression_ratio):
    wrong = 0
    for h, w, n in _hidden_ratio_cases:
        img = np.zeros((h, w, 3), dtype=np.uint8)
        value = _number(compression_ratio(img, n), "compression_ratio")
        wrong += not math.isclose(value, _reference_ratio(h, w, n), rel_tol=RATIO_RTOL)
    assert wrong == 0, (
        f"compression_ratio is wrong for {wrong} of {len(_hidden_ratio_cases)} other images "
        "and palette sizes\n"
        "hint: use the image's own height and width, and ceil(log2 n_colors) bits per pixel."
    )
