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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

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
MOST_SIDE_BY_SIDE = 100
"""At most this many pairs are shown side by side, the most similar first: a class handing
in copies of one file has tens of thousands of flagged pairs (similarity.csv lists them)."""
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

    def side_by_side(self) -> int:
        """How many pairs, the first ones, get a side-by-side view (see :func:`shown`)."""
        return shown([p.similarity for p in self.pairs], self.threshold)

    def flagged_not_shown(self) -> int:
        """Flagged pairs beyond :data:`MOST_SIDE_BY_SIDE`, listed only in similarity.csv."""
        return sum(1 for p in self.flagged() if not p.html_a)

    def to_csv(self) -> str:
        """``student_a,student_b,similarity``, the most similar pair first."""
        cells: dict[object, str] = {}  # each name quoted and each number written once

        def cell(value: str) -> str:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow([value])
            return out.getvalue()[:-1]

        rows = ["student_a,student_b,similarity"]
        for p in self.pairs:
            a = cells.get(p.student_a) or cells.setdefault(p.student_a, cell(p.student_a))
            b = cells.get(p.student_b) or cells.setdefault(p.student_b, cell(p.student_b))
            s = cells.get(p.similarity) or cells.setdefault(p.similarity, f"{p.similarity:.4f}")
            rows.append(f"{a},{b},{s}")
        return "\n".join(rows) + "\n"


def shown(similarities: list[float], threshold: float) -> int:
    """How many pairs, the first ones of ``similarities`` (most similar first), get a
    side-by-side view: the :data:`SIDE_BY_SIDE` most similar and every flagged pair, none
    that shares nothing, at most :data:`MOST_SIDE_BY_SIDE`."""
    positive = sum(1 for s in similarities if s > 0)
    flagged = sum(1 for s in similarities if s >= threshold and s > 0)
    return min(positive, max(SIDE_BY_SIDE, flagged), MOST_SIDE_BY_SIDE)


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
    return Comparison(sources, boilerplate=boilerplate, threshold=threshold).result()


class Comparison:
    """A similarity check under way: :func:`compare` started now, its report from
    :meth:`result`, so that a batch writes its other outputs meanwhile.

    It runs in a child interpreter with a fixed hash seed (see the module's description),
    which lexes the files on every core; here when this interpreter's seed is fixed.
    :meth:`result` raises ``RuntimeError`` when the child failed; :meth:`cancel` stops it.
    """

    def __init__(
        self, sources: dict[str, str], *, boilerplate: str = "", threshold: float = THRESHOLD
    ):
        self._args = (sources, boilerplate, threshold)
        self._proc: subprocess.Popen | None = None
        if not sys.flags.hash_randomization:
            return
        env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        payload = {"sources": sources, "boilerplate": boilerplate, "threshold": threshold}
        # files, not pipes: neither side waits for the other to read
        self._files = [tempfile.TemporaryFile() for _ in range(3)]
        self._files[0].write(json.dumps(payload).encode())
        self._files[0].seek(0)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.similarity"],
            stdin=self._files[0],
            stdout=self._files[1],
            stderr=self._files[2],
            env=env,
        )

    def result(self) -> SimilarityReport:
        """The report (waits for the child); raises ``RuntimeError`` if it failed."""
        if self._proc is None:
            return _report(_compare_here(*self._args))
        try:
            code = self._proc.wait()
            _, stdout, stderr = self._files
            if code != 0:
                stderr.seek(0)
                why = stderr.read().decode(errors="replace").strip()[-500:]
                raise RuntimeError(f"the similarity check failed: {why}")
            stdout.seek(0)
            return _report(json.load(stdout))
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child if it still runs, and drop its files."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for fh in getattr(self, "_files", []):
            fh.close()


def _report(data: dict) -> SimilarityReport:
    """The report from :func:`_compare_here`'s arrays (a pair: two indexes into names)."""
    names, html = data["names"], data["html"]
    pairs = [
        Pair(names[i], names[j], s)
        for i, j, s in zip(data["first"], data["second"], data["similarity"], strict=True)
    ]
    for pair, (html_a, html_b) in zip(pairs, html, strict=False):
        pair.html_a, pair.html_b = html_a, html_b
    return SimilarityReport(pairs=pairs, threshold=data["threshold"], method=data["method"])


def _fingerprint(name: str, code: str, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint(
        f"{name}.py", K, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code), language="python"
    )


class Print:
    """What the comparison needs of a copydetect ``CodeFingerprint``, in arrays.

    ``hashes`` and ``positions``: every winnowed fingerprint of the normalised code and
    where it starts, sorted by position. :func:`copydetect.compare_files` and
    ``highlight_overlap`` take it as they take a ``CodeFingerprint`` (the same attributes).
    """

    def __init__(self, raw_code: str, filtered_code: str, offsets, hashes, positions, coverage):
        self.raw_code = raw_code
        self.filtered_code = filtered_code
        self.offsets = offsets
        self.hashes_array = hashes
        self.positions = positions
        self.token_coverage = coverage
        self.k = K

    @classmethod
    def of(cls, name: str, code: str, boilerplate) -> Print:
        import numpy as np

        fp = _fingerprint(name, code, boilerplate)
        pairs = sorted((int(i), int(h)) for h, idx in fp.hash_idx.items() for i in idx)
        positions = np.array([i for i, _ in pairs], dtype=np.int64)
        hashes = np.array([h for _, h in pairs], dtype=np.int64)
        return cls(fp.raw_code, fp.filtered_code, fp.offsets, hashes, positions, fp.token_coverage)

    @property
    def hashes(self) -> set[int]:
        return set(self.hashes_array.tolist())

    @property
    def hash_idx(self) -> dict[int, list[int]]:
        idx: dict[int, list[int]] = {}
        for h, i in zip(self.hashes_array.tolist(), self.positions.tolist(), strict=True):
            idx.setdefault(h, []).append(i)
        return idx


def _prints(names: list[str], sources: dict[str, str], boilerplate, processes: int) -> list:
    """A :class:`Print` of every source (Pygments' lexing is most of the cost: on
    ``processes`` processes, forked so that they hash with this interpreter's seed)."""
    if processes <= 1 or len(names) < 4 * processes:
        return [Print.of(n, sources[n], boilerplate) for n in names]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.starmap(Print.of, [(n, sources[n], boilerplate) for n in names], chunksize=16)


def similarity_matrix(prints: list) -> np.ndarray:
    """``S[a, b]``: the share of ``a``'s fingerprinted code that also occurs in ``b``.

    Exactly copydetect's ``compare_files(a, b)[1][0]`` for every pair at once: the code of
    ``a`` covered by its fingerprints found in ``b`` (the union of ``[p, p + K)`` over their
    positions ``p``), divided by the code covered by all of ``a``'s fingerprints. Files with
    the same normalised code are compared once.
    """
    import numpy as np

    groups: dict[str, int] = {}
    member = np.array([groups.setdefault(p.filtered_code, len(groups)) for p in prints])
    first = {g: i for i, g in reversed(list(enumerate(member.tolist())))}
    reps = [prints[first[g]] for g in range(len(groups))]
    n = len(reps)
    # inverted index: for each distinct fingerprint, the groups that have it
    unique = [np.unique(p.hashes_array) for p in reps]
    values, ids = np.unique(np.concatenate([np.zeros(0, np.int64), *unique]), return_inverse=True)
    owners = np.repeat(np.arange(n), [len(u) for u in unique])
    order = np.argsort(ids, kind="stable")
    by_id = owners[order]
    start = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=len(values)))])
    shared = np.zeros((n, n))
    for a, p in enumerate(reps):
        if not len(p.positions) or not len(p.filtered_code) or not p.token_coverage:
            continue
        cols = np.searchsorted(values, p.hashes_array)
        counts = start[cols + 1] - start[cols]
        flat = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = by_id[np.repeat(start[cols], counts) + flat]
        found = np.zeros((n, len(cols)), dtype=bool)
        found[rows, np.repeat(np.arange(len(cols)), counts)] = True
        hit = np.unique(rows)
        found = found[hit]
        # a selected position covers up to K characters, less when the next selected
        # position starts sooner: the union of the [p, p + K) of the selected positions
        big = p.positions[-1] + K
        at = np.where(found, p.positions, big)
        after = np.minimum.accumulate(at[:, ::-1], axis=1)[:, ::-1]
        after = np.concatenate([after[:, 1:], np.full((len(hit), 1), big)], axis=1)
        covered = np.where(found, np.minimum(after - p.positions, K), 0).sum(axis=1)
        shared[a, hit] = covered / p.token_coverage
    return shared[np.ix_(member, member)]


def _compare_here(sources, boilerplate, threshold, processes: int = 1) -> dict:
    import logging

    import numpy as np
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    logging.getLogger().setLevel(logging.ERROR)  # copydetect warns about empty files
    stub = _fingerprint("stub", boilerplate, None) if boilerplate.strip() else None
    bp = np.array(sorted(stub.hashes), dtype=np.int64) if stub is not None else []
    names = sorted(sources)
    prints = _prints(names, sources, bp, processes)
    shares = similarity_matrix(prints)
    first, second = np.triu_indices(len(names), k=1)
    both = np.maximum(shares[first, second], shares[second, first])
    values, where = np.unique(both, return_inverse=True)
    rounded = np.array([round(float(v), 4) for v in values.tolist()])[where.reshape(-1)]
    order = np.lexsort((second, first, -rounded))  # most similar first, then by names
    first, second = first[order].tolist(), second[order].tolist()
    similarity = rounded[order].tolist()
    html = []
    for i, j in zip(first[: shown(similarity, threshold)], second, strict=False):
        _, _, (slices_a, slices_b) = compare_files(prints[i], prints[j])
        mark = ("<mark>", "</mark>")
        html.append(
            [
                highlight_overlap(prints[i].raw_code, slices_a, *mark, escape_html=True)[0],
                highlight_overlap(prints[j].raw_code, slices_b, *mark, escape_html=True)[0],
            ]
        )
    return {  # a pair is two indexes into names: 1,000 students are 499,500 pairs
        "names": names,
        "first": first,
        "second": second,
        "similarity": similarity,
        "html": html,
        "threshold": threshold,
        "method": METHOD,
    }


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
    processes = min(len(os.sched_getaffinity(0)), 4)
    json.dump(
        _compare_here(data["sources"], data["boilerplate"], data["threshold"], processes),
        sys.stdout,
    )


if __name__ == "__main__":
    _main()
