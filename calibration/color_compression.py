"""Calibrate the color_compression graders, and draw the figures of the task README.

Every legitimate variant and every known mistake of tests/fixtures/color_compression/
variants.toml (each = the reference solution with one replacement) is run over many
seeds, and measured with the graders' own helpers, so the numbers are the ones the
graders judge. The tables (Markdown) go to docs/calibration/color_compression.md.

    python calibration/color_compression.py                 # all tables, 20 seeds
    python calibration/color_compression.py --tables psnr --seeds 5
    python calibration/color_compression.py --figures       # assignments/.../figures/*.png

Run with OMP_NUM_THREADS=1: about 4 minutes on one core.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import tomllib
import types
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_sample_image

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "color_compression.py"
VARIANTS = REPO / "tests" / "fixtures" / "color_compression" / "variants.toml"
GRADERS = REPO / "autograder" / "graders" / "color_compression"
FIGURES = REPO / "assignments" / "color_compression" / "figures"
TABLES = ("psnr", "sample", "seeds", "nearest", "metrics", "pixels")
PSNR_SETTINGS = (("china.jpg", 16), ("china.jpg", 64), ("flower.jpg", 16), ("flower.jpg", 8))
FLOORS = {
    ("china.jpg", 16): "PSNR_FLOOR_16",
    ("china.jpg", 64): "_hidden_PSNR_FLOOR_64",
    ("flower.jpg", 16): "_hidden_PSNR_FLOOR_FLOWER_16",
    ("flower.jpg", 8): "_hidden_PSNR_FLOOR_FLOWER_8",
}


def load_module(path: Path, name: str, source: str | None = None) -> types.ModuleType:
    """A module from a file, or from ``source`` given in its place."""
    if source is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def variants() -> list[tuple[str, dict, types.ModuleType]]:
    """``(kind, entry, module)`` for the solution and every variant of the table."""
    solution = SOLUTION.read_text()
    out = [("solution", {"id": "solution", "calibrate": TABLES}, load_module(SOLUTION, "sol"))]
    for kind, entries in tomllib.loads(VARIANTS.read_text()).items():
        for entry in entries if kind != "student" else ():  # whole files: graded, not measured
            assert solution.count(entry["old"]) == 1, f"{entry['id']}: `old` not found once"
            patched = solution.replace(entry["old"], entry["new"])
            out.append((kind, entry, load_module(SOLUTION, entry["id"], patched)))
    return out


def grader(stem: str) -> types.ModuleType:
    return load_module(GRADERS / f"{stem}.py", f"calibration_{stem}")


def row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def header(*cells) -> str:
    return row(*cells) + "\n" + row(*(["---"] * len(cells)))


def selected(all_variants, table):
    return [(k, e, m) for k, e, m in all_variants if table in e.get("calibrate", ())]


# ---------------------------------------------------------------- tables


def table_psnr(all_variants, seeds, q2, palettes):
    """PSNR (grader's quantisation) of each fit_palette variant, per image and n_colors."""
    lines = [header("variant", "kind", *(f"{f} {n}: min / mean / max" for f, n in PSNR_SETTINGS))]
    lows = {s: [] for s in PSNR_SETTINGS}
    highs = {s: [] for s in PSNR_SETTINGS}
    for kind, entry, module in selected(all_variants, "psnr"):
        cells = []
        for filename, n in PSNR_SETTINGS:
            values = []
            for seed in range(seeds):
                palette = fit(module, entry, palettes, filename, n, seed)
                values.append(q2._psnr_of_palette(filename, q2._unit_scale(palette)))
            cells.append(f"{min(values):.2f} / {np.mean(values):.2f} / {max(values):.2f}")
            if kind in ("solution", "legit"):
                lows[filename, n].append(min(values))
            elif kind == "bug":
                highs[filename, n].append(max(values))
        lines.append(row(entry["id"], kind, *cells))
    lines.append("")
    lines.append(
        header("setting", "lowest legitimate", "highest bug", "floor in grader", "separates")
    )
    for setting in PSNR_SETTINGS:
        floor = getattr(q2, FLOORS[setting])
        low, high = min(lows[setting]), max(highs[setting])
        verdict = "yes" if high < floor < low else "**NO**"
        cells = (f"{low:.2f}", f"{high:.2f}", floor, verdict)
        lines.append(row(f"{setting[0]}, {setting[1]}", *cells))
    return "\n".join(lines)


def fit(module, entry, palettes, filename, n, seed):
    """A variant's palette (memoised: the psnr and seeds tables share them)."""
    key = (entry["id"], filename, n, seed)
    if key not in palettes:
        pixels = load_sample_image(filename).reshape(-1, 3) / 255.0
        palettes[key] = np.asarray(module.fit_palette(pixels, n_colors=n, random_state=seed))
    return palettes[key].astype(np.float64)


def table_sample(all_variants, seeds, q2):
    """Colours not explained by the sample, with sample_size == n_colors (2 and 1)."""
    inputs = {2: q2._sample_input(), 1: q2._hidden_sample_input()}
    lines = [
        header(
            "variant",
            "kind",
            "n=2: fits with outside colours",
            "n=1: distance to nearest pixel (min / max)",
            "n=1: fits with outside colours",
        )
    ]
    for kind, entry, module in selected(all_variants, "sample"):
        cells = []
        for n, pixels in inputs.items():
            bad, gaps = 0, []
            for seed in range(seeds):
                raw = module.fit_palette(
                    pixels.copy(), n_colors=n, random_state=seed, sample_size=n
                )
                palette = q2._unit_scale(np.asarray(raw, dtype=np.float64))
                bad += q2._outside_sample(palette, pixels) > 0
                gaps.append(np.abs(pixels - palette[0]).max(axis=1).min())
            gap = f"{min(gaps):.1e} / {max(gaps):.1e}"
            cells += [f"{bad}/{seeds}"] if n == 2 else [gap, f"{bad}/{seeds}"]
        lines.append(row(entry["id"], kind, *cells))
    return "\n".join(lines) + f"\n\nROW_ATOL in the grader: {q2.ROW_ATOL:g}"


def table_seeds(all_variants, seeds, palettes):
    """Same seed twice: same palette? Seeds s and s + 1: another palette? (china, 16)."""
    lines = [header("variant", "kind", "same seed, palettes differ", "next seed, same palette")]
    for kind, entry, module in selected(all_variants, "seeds"):
        differ = same = 0
        for seed in range(seeds):
            first = fit(module, entry, palettes, "china.jpg", 16, seed)
            pixels = load_sample_image("china.jpg").reshape(-1, 3) / 255.0
            again = np.asarray(module.fit_palette(pixels, n_colors=16, random_state=seed))
            differ += np.max(np.abs(first - again)) > 1e-9
            other = fit(module, entry, palettes, "china.jpg", 16, seed + 1)
            same += np.max(np.abs(np.sort(first, axis=0) - np.sort(other, axis=0))) <= 1e-9
        lines.append(row(entry["id"], kind, f"{differ}/{seeds}", f"{same}/{seeds}"))
    return "\n".join(lines)


def table_nearest(all_variants, seeds, q3):
    """Pixels the grader calls wrong, per quantize variant, over reference-like palettes."""
    from sklearn.cluster import KMeans

    cases = []
    for seed in range(seeds):  # even seeds: china, 16 colours; odd seeds: flower, 64
        filename, n = (("china.jpg", 16), ("flower.jpg", 64))[seed % 2]
        img = np.asarray(load_sample_image(filename))
        pixels = img.reshape(-1, 3) / 255.0
        sample = pixels[np.random.default_rng(seed).choice(len(pixels), 10_000, False)]
        model = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(sample)
        cases.append((filename, n, img, model.cluster_centers_))
    lines = [
        header(
            "variant",
            "kind",
            "china 16: wrong pixels (min / max)",
            "flower 64: wrong pixels (min / max)",
            "palettes with any wrong pixel",
        )
    ]
    for kind, entry, module in selected(all_variants, "nearest"):
        wrong = {"china.jpg": [], "flower.jpg": []}
        for filename, _n, img, palette in cases:
            out = np.asarray(module.quantize(img, palette))
            wrong[filename].append(int(q3._wrong_pixels(img, out, palette).sum()))
        cells = [f"{min(w):,} / {max(w):,}" for w in wrong.values()]
        failing = sum(w > 0 for values in wrong.values() for w in values)
        lines.append(row(entry["id"], kind, *cells, f"{failing}/{len(cases)}"))
    # How close do ties come, and how far off is float32?
    err32, near_ties, readings = 0.0, 0, 0
    for _, _, img, palette in cases:
        colours = np.unique(img.reshape(-1, 3), axis=0) / 255.0
        d = q3._squared_distances(colours, palette)
        d32 = q3._squared_distances(colours.astype(np.float32), palette.astype(np.float32))
        err32 = max(err32, float(np.max(np.abs(d - d32))))
        gaps = np.sort(d, axis=1)
        near_ties += int(np.sum(gaps[:, 1] - gaps[:, 0] <= q3.TIE_ATOL))
        rounded = q3._squared_distances(colours, np.rint(palette * 255) / 255)
        readings += int(np.sum(d.argmin(axis=1) != rounded.argmin(axis=1)))
    return "\n".join(lines) + (
        f"\n\nLargest float32 error of a squared distance: {err32:.1e} "
        f"(TIE_ATOL = {q3.TIE_ATOL:g}). Distinct colours whose two nearest palette colours are "
        f"within TIE_ATOL, over all {len(cases)} palettes: {near_ties}. Distinct colours whose "
        f"nearest colour differs between the palette and the rounded palette: {readings}."
    )


def table_metrics(all_variants, seeds, q4):
    """psnr: gap (dB) from the grader's value; compression_ratio: relative gap."""
    rng = np.random.default_rng(12)
    pairs = {"photo": [], "dark": []}
    for _ in range(seeds):
        img = load_sample_image(rng.choice(["china.jpg", "flower.jpg"]))
        top, left = rng.integers(0, 200), rng.integers(0, 300)
        crop = img[top : top + rng.integers(50, 220), left : left + rng.integers(50, 330)]
        noise = rng.integers(-30, 31, size=crop.shape) * (rng.random(crop.shape) < 0.3)
        pairs["photo"].append((crop, np.clip(crop + noise, 0, 255).astype(np.uint8)))
        dark = rng.integers(0, rng.integers(30, 200), size=(30, 40, 3))
        blurred = np.clip(dark + rng.integers(-40, 41, size=dark.shape), 0, 255)
        pairs["dark"].append((dark.astype(np.uint8), blurred.astype(np.uint8)))
    ratio_cases = [
        tuple(int(v) for v in rng.integers((5, 5, 2), (500, 500, 300))) for _ in range(seeds)
    ] + [(427, 640, 16)]
    lines = [
        header(
            "variant",
            "kind",
            "psnr gap, photos (min / max dB)",
            "psnr gap, dark images",
            "compression_ratio relative gap (min / max)",
        )
    ]
    for kind, entry, module in selected(all_variants, "metrics"):
        cells = []
        for family in ("photo", "dark"):
            with np.errstate(all="ignore"):
                gaps = [
                    abs(float(module.psnr(a, b)) - q4._reference_psnr(a, b))
                    for a, b in pairs[family]
                ]
            cells.append(f"{min(gaps):.1e} / {max(gaps):.1e}")
        rel = [
            abs(
                module.compression_ratio(np.zeros((h, w, 3), np.uint8), n)
                / q4._reference_ratio(h, w, n)
                - 1
            )
            for h, w, n in ratio_cases
        ]
        cells.append(f"{min(rel):.1e} / {max(rel):.1e}")
        lines.append(row(entry["id"], kind, *cells))
    return "\n".join(lines) + (
        f"\n\nPSNR_ATOL = {q4.PSNR_ATOL:g} dB, RATIO_RTOL = {q4.RATIO_RTOL:g}. "
        "Compression ratios use random (h, w, n_colors) with n_colors in 2..299 and china 16."
    )


def table_pixels(all_variants, seeds, q1):
    """How far ``to_pixels(img) * 255`` is from whole numbers, on random images."""
    rng = np.random.default_rng(3)
    images = [
        rng.integers(
            0, rng.integers(40, 255), size=(int(rng.integers(3, 60)), int(rng.integers(3, 60)), 3)
        ).astype(np.uint8)
        for _ in range(seeds)
    ]
    lines = [header("variant", "kind", "largest value", "distance of x 255 from whole numbers")]
    for kind, entry, module in selected(all_variants, "pixels"):
        offs, top = [], 0.0
        for img in images:
            scaled = np.asarray(module.to_pixels(img), dtype=np.float64) * 255.0
            offs.append(float(np.max(np.abs(scaled - np.rint(scaled)))))
            top = max(top, float(scaled.max()) / 255.0)
        cells = (f"{top:.4g}", f"min {min(offs):.1e}, max {max(offs):.1e}")
        lines.append(row(entry["id"], kind, *cells))
    return "\n".join(lines) + f"\n\nSCALE_ATOL in the grader: {q1.SCALE_ATOL:g}"


# ---------------------------------------------------------------- figures


def figures() -> None:
    """The README's figures, made with the reference solution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sol = load_module(SOLUTION, "sol")
    FIGURES.mkdir(parents=True, exist_ok=True)
    img = sol.load_image("china.jpg")
    palette = sol.fit_palette(sol.to_pixels(img), n_colors=16, random_state=0)
    small = sol.quantize(img, palette)
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.75), dpi=80)
    for ax, picture, title in (
        (axes[0], img, f"original: {len(np.unique(img.reshape(-1, 3), axis=0)):,} colours"),
        (
            axes[1],
            small,
            f"16 colours: PSNR {sol.psnr(img, small):.1f} dB, "
            f"{sol.compression_ratio(img, 16):.1f}x smaller",
        ),
    ):
        ax.imshow(picture[::2, ::2], interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(FIGURES / "china_16_colours.png")
    plt.close(fig)

    order = np.argsort(palette @ np.array([0.299, 0.587, 0.114]))
    fig, ax = plt.subplots(figsize=(6, 0.9), dpi=80)
    ax.imshow(palette[order][None, :, :], aspect="auto")
    ax.set_yticks([])
    ax.set_xticks(range(16))
    ax.set_title("the 16-colour palette of china.jpg (K-means centres), dark to light", fontsize=9)
    fig.tight_layout()
    fig.savefig(FIGURES / "palette_16.png")
    plt.close(fig)

    counts = [2, 4, 8, 16, 32, 64, 128]
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=80)
    for name in ("china.jpg", "flower.jpg"):
        picture = sol.load_image(name)
        pixels = sol.to_pixels(picture)
        values = [
            sol.psnr(picture, sol.quantize(picture, sol.fit_palette(pixels, n_colors=n)))
            for n in counts
        ]
        ax.plot(counts, values, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ratios = [sol.compression_ratio(img, n) for n in counts]
    labels = [f"{n}\n{ratio:.1f}x" for n, ratio in zip(counts, ratios, strict=True)]
    ax.set_xticks(counts, labels, fontsize=8)
    ax.set_xlabel("n_colors, and how many times smaller the image gets")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title("more colours: less loss, but less compression", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / "psnr_vs_colours.png")
    plt.close(fig)
    for path in sorted(FIGURES.glob("*.png")):
        print(f"{path.relative_to(REPO)}: {path.stat().st_size / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--figures", action="store_true", help="draw the README figures only")
    args = parser.parse_args()
    if args.figures:
        figures()
        return
    warnings.simplefilter("ignore")  # ConvergenceWarnings of tiny samples are expected
    all_variants = variants()
    q1, q2, q3, q4 = (grader(s) for s in ("q1_images", "q2_palette", "q3_quantize", "q4_metrics"))
    palettes: dict = {}
    makers = {
        "psnr": lambda: table_psnr(all_variants, args.seeds, q2, palettes),
        "sample": lambda: table_sample(all_variants, args.seeds, q2),
        "seeds": lambda: table_seeds(all_variants, args.seeds, palettes),
        "nearest": lambda: table_nearest(all_variants, args.seeds, q3),
        "metrics": lambda: table_metrics(all_variants, args.seeds, q4),
        "pixels": lambda: table_pixels(all_variants, args.seeds, q1),
    }
    for name in args.tables.split(","):
        start = time.perf_counter()
        text = makers[name]()
        print(f"### {name} ({args.seeds} seeds, {time.perf_counter() - start:.0f} s)\n")
        print(text + "\n", flush=True)


if __name__ == "__main__":
    main()
