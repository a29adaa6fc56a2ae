"""What the color_compression question files share: the kit, the grader's copies of the
sample images, colours as integer codes, and the student's default calls.

Loaded once per process by every question file (``_support()`` in each), so each default
call of a student function is made once per submission whichever files run, and the
grader's own values once per process. Published with the public copy (``_hidden*`` names
stripped) and exported with the otter zip.

A question file's ``DEPENDS`` entry naming a student function (``"fit_palette"``) is its
call memoised under ``"default"`` (see docs/writing-graders.md): :func:`default_palette`,
:func:`default_quantized`, or the question file's own default call.
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image


def _load(path: Path):
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


def _kit_path() -> Path:
    """graderkit.py: beside this file (bundle, zip), else in the graders folder (repo)."""
    here = Path(__file__).resolve().parent
    for path in (here / "graderkit.py", here.parent.parent / "graderkit.py"):
        if path.is_file():
            return path
    raise FileNotFoundError("graderkit.py is missing next to support/_shared.py")


kit = _load(_kit_path())
Failed, check, not_judged = kit.Failed, kit.check, kit.not_judged

FUNCTIONS = ("load_image", "to_pixels", "fit_palette", "quantize", "psnr", "compression_ratio")
KIT = kit.Kit(module="color_compression", timeout=60, functions=FUNCTIONS)
"""timeout equals assignment.toml's (tests/test_graderkit.py keeps them equal)."""

DEFAULT = ("china.jpg", 16)
"""The image and palette size of the default calls of fit_palette and quantize."""


@functools.cache
def image(filename):
    """The grader's own copy of a sample image (read-only)."""
    img = np.asarray(load_sample_image(filename), dtype=np.uint8)
    img.flags.writeable = False
    return img


@functools.cache
def pixels(filename):
    """The image's pixels as rows scaled to [0, 1] (read-only)."""
    rows = image(filename).reshape(-1, 3) / 255.0
    rows.flags.writeable = False
    return rows


def codes(rgb):
    """One integer per colour (r * 65536 + g * 256 + b) of an (..., 3) array of 0..255."""
    return np.asarray(rgb).reshape(-1, 3).astype(np.int64) @ np.array([65536, 256, 1])


def colours_of(codes_):
    """The (r, g, b) rows of integer colour codes (the inverse of :func:`codes`)."""
    codes_ = np.asarray(codes_)
    return np.stack([codes_ // 65536, codes_ // 256 % 256, codes_ % 256], axis=1)


def palette_of(fit_palette, filename, n_colors, random_state=0):
    """The student's palette of a sample image, once per submission and arguments; the
    one of :data:`DEFAULT` with random_state=0 is the ``"default"`` call."""
    key = (filename, n_colors, random_state)
    return KIT.memo.call(
        "default" if key == (*DEFAULT, 0) else repr(key),
        fit_palette,
        pixels(filename).copy(),
        n_colors=n_colors,
        random_state=random_state,
    )


def default_palette(fit_palette):
    """The student's ``fit_palette(china pixels, n_colors=16, random_state=0)``."""
    return palette_of(fit_palette, *DEFAULT)


@functools.cache
def reference_palette(filename, n_colors):
    """A K-means palette of the image, fitted by the grader (read-only): quantize is judged
    with it, so a mistake in fit_palette never costs a quantize case."""
    rows = pixels(filename)
    sample = rows[np.random.default_rng(0).choice(len(rows), 10_000, replace=False)]
    palette = KMeans(n_clusters=n_colors, n_init=1, random_state=0).fit(sample).cluster_centers_
    palette.flags.writeable = False
    return palette


def default_quantized(quantize):
    """The student's ``quantize(china, the grader's 16-colour palette)``, once per
    submission."""
    palette = reference_palette(*DEFAULT)
    return KIT.memo.call("default", quantize, image(DEFAULT[0]).copy(), palette.copy())
