"""Similarity of the submissions of one batch, for the teacher (never shown to a student).

Built on copydetect (MIT): each file is tokenised with Pygments and normalised
(every identifier becomes ``V``, function names ``F``, strings ``S``; comments and
layout are dropped), so renaming variables, rewording comments or reordering
functions does not hide a copy. Fingerprints are winnowed k-grams of the
normalised code; the fingerprints of the assignment's stub are removed as
boilerplate, so the stub alone has no similarity with anything. The similarity of a
pair is the larger of the two shares of fingerprinted code that also occurs in the
other file.

copydetect hashes k-grams with Python's ``hash``, which is salted per process; the
comparison therefore runs in a child interpreter with ``PYTHONHASHSEED=0`` (unless
this one already has a fixed seed), so a batch gives the same numbers on every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

K = 25
"""Characters of normalised code per fingerprint (copydetect's noise threshold)."""
WINDOW = 4
"""Winnowing window: any match of ``K + WINDOW - 1`` characters is found."""
THRESHOLD = 0.7
"""Pairs at or above this similarity are shown side by side. Calibrated by
``bench/bench_reports.py`` on the demo classes: honest pairs (several built on the
same reference) reach at most 0.58, their disguised copies at least 0.88."""
SIDE_BY_SIDE = 15
"""The most similar pairs that get a side-by-side view (besides every pair above the threshold)."""
METHOD = (
    "copydetect fingerprints of the code with identifiers, strings and comments normalised "
    "and the stub's code removed as boilerplate."
)


@dataclass
class Pair:
    """Two students' submissions and how much of their code they share."""

    student_a: str
    student_b: str
    similarity: float
    """The larger of the two shares of fingerprinted code found in the other file, 0..1."""
    html_a: str = ""
    """Student a's code, HTML-escaped, shared parts in ``<mark>`` (the most similar pairs and
    every pair above the threshold; empty for the others)."""
    html_b: str = ""


@dataclass
class SimilarityReport:
    """Every pair of a batch, the most similar first."""

    pairs: list[Pair] = field(default_factory=list)
    threshold: float = THRESHOLD
    method: str = METHOD

    def flagged(self) -> list[Pair]:
        """The pairs at or above the threshold."""
        return [p for p in self.pairs if p.similarity >= self.threshold]

    def to_csv(self) -> str:
        """``student_a,student_b,similarity``, the most similar pair first."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student_a", "student_b", "similarity"])
        for p in self.pairs:
            writer.writerow([p.student_a, p.student_b, f"{p.similarity:.4f}"])
        return out.getvalue()


def compare(
    sources: dict[str, str], *, boilerplate: str = "", threshold: float = THRESHOLD
) -> SimilarityReport:
    """Compare every pair of ``sources`` (student -> Python source).

    Parameters
    ----------
    sources : dict
        Student id -> the code they submitted.
    boilerplate : str
        Code every student was given (the stub); its fingerprints never count.
    threshold : float
        Pairs at or above it get highlighted side-by-side views.
    """
    if sys.flags.hash_randomization:
        return _compare_in_child(sources, boilerplate, threshold)
    return _compare_here(sources, boilerplate, threshold)


def _compare_in_child(sources, boilerplate, threshold) -> SimilarityReport:
    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    payload = json.dumps({"sources": sources, "boilerplate": boilerplate, "threshold": threshold})
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.similarity"],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the similarity check failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    return SimilarityReport(
        pairs=[Pair(**p) for p in data["pairs"]],
        threshold=data["threshold"],
        method=data["method"],
    )


def _fingerprint(name: str, code: str, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint(
        f"{name}.py", K, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code), language="python"
    )


def _compare_here(sources, boilerplate, threshold) -> SimilarityReport:
    import logging

    import numpy as np
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    logging.getLogger().setLevel(logging.ERROR)  # copydetect warns about empty files
    stub = _fingerprint("stub", boilerplate, None) if boilerplate.strip() else None
    bp = np.array(sorted(stub.hashes), dtype=np.int64) if stub is not None else []
    names = sorted(sources)
    prints = {n: _fingerprint(n, sources[n], bp) for n in names}
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            fa, fb = prints[a], prints[b]
            if not fa.hashes or not fb.hashes or not (fa.hashes & fb.hashes):
                pairs.append(Pair(a, b, 0.0))
                continue
            _, (sa, sb), _ = compare_files(fa, fb)
            pairs.append(Pair(a, b, round(float(max(sa, sb)), 4)))
    pairs.sort(key=lambda p: (-p.similarity, p.student_a, p.student_b))
    for rank, pair in enumerate(pairs):
        if pair.similarity > 0 and (rank < SIDE_BY_SIDE or pair.similarity >= threshold):
            fa, fb = prints[pair.student_a], prints[pair.student_b]
            _, _, (slices_a, slices_b) = compare_files(fa, fb)
            mark = ("<mark>", "</mark>")
            pair.html_a = highlight_overlap(fa.raw_code, slices_a, *mark, escape_html=True)[0]
            pair.html_b = highlight_overlap(fb.raw_code, slices_b, *mark, escape_html=True)[0]
    return SimilarityReport(pairs=pairs, threshold=threshold)


def read_submission(path: Path) -> str | None:
    """The code of a submitted file (a notebook's code cells), or None if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
            return "\n\n".join(
                "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"
            )
        except (ValueError, AttributeError, TypeError):
            return None
    return text


def _main() -> None:
    data = json.load(sys.stdin)
    report = _compare_here(data["sources"], data["boilerplate"], data["threshold"])
    json.dump(
        {
            "pairs": [asdict(p) for p in report.pairs],
            "threshold": report.threshold,
            "method": report.method,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    _main()
