"""Fingerprints of code and the share of each file found in each other, for a whole class.

copydetect (MIT) makes the fingerprints: Pygments tokens, identifiers and strings
normalised, winnowed k-grams of :data:`K` characters. :func:`similarity_matrix` then
gives copydetect's own ``compare_files`` number for every pair at once, from an inverted
index of the fingerprints, instead of one Python call per pair (half a million for a class
of 1,000). The hashes are Python's ``hash`` of the k-grams: compare only fingerprints made
in interpreters with the same hash seed (:mod:`autograder.similarity` sees to it).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

K = 25
"""Characters of normalised code per fingerprint (copydetect's noise threshold)."""
WINDOW = 4
"""Winnowing window: any match of ``K + WINDOW - 1`` characters is found."""


def boilerplate_hashes(code: str):
    """The fingerprints of ``code`` (the stub every student was given), to leave out."""
    import numpy as np

    if not code.strip():
        return []
    return np.array(sorted(_fingerprint("stub", code, None).hashes), dtype=np.int64)


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


def make_prints(codes: list[str], boilerplate, processes: int = 1, cache=None) -> list:
    """A :class:`Print` of every code (Pygments' lexing is most of the cost: ``cache``, code
    -> Print, has those made before; the others are made on ``processes`` processes, forked
    so that they hash with this interpreter's seed)."""
    cache = {} if cache is None else cache
    missing = list(dict.fromkeys(c for c in codes if c not in cache))
    if processes <= 1 or len(missing) < 4 * processes:
        made = [Print.of("code", c, boilerplate) for c in missing]
    else:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            made = pool.starmap(Print.of, [("code", c, boilerplate) for c in missing], 16)
    cache.update(zip(missing, made, strict=True))
    return [cache[c] for c in codes]


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
