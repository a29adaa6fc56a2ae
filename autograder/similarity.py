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

import contextlib
import csv
import io
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from autograder.fingerprints import WINDOW, K, boilerplate_hashes, make_prints, similarity_matrix

__all__ = ["K", "WINDOW", "Comparison", "Pair", "SimilarityReport", "compare", "read_submission"]

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
    comparison = Comparison(boilerplate=boilerplate, threshold=threshold)
    comparison.send(sources)
    return comparison.result()


WAIT_BASE, WAIT_PER_FILE = 60.0, 0.25
"""Seconds :meth:`Comparison.result` waits for the child at most: this plus this per file
(a class of 1,000 takes 5-10 s on 2 cores). Past it the child is stopped and the batch
reports the similarity check as not run: a stuck child must not hold the batch's outputs."""


class Comparison:
    """A similarity check under way, in a child interpreter with a fixed hash seed (see the
    module's description), or here when this interpreter's seed is fixed.

    Started when a batch starts, it is told of each file as soon as it is graded
    (:meth:`add`) and lexes it meanwhile at the lowest CPU priority, on what the grading
    leaves idle. :meth:`send` gives the files to compare, read as they are now (what was
    lexed before is reused for the same code only); the child lexes the others on every
    core and compares, while the batch writes its other outputs. :meth:`result` waits for
    the report (``RuntimeError`` when the child failed); :meth:`cancel` stops the child. A
    Ctrl-C does not stop it: a batch writes its outputs after one.
    """

    def __init__(self, *, boilerplate: str = "", threshold: float = THRESHOLD):
        self._boilerplate, self._threshold = boilerplate, threshold
        self._sources: dict[str, str] | None = None
        self._proc: subprocess.Popen | None = None
        self._lines: queue.SimpleQueue = queue.SimpleQueue()
        self._files: list = []
        if not sys.flags.hash_randomization:
            return
        env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        self._files = [tempfile.TemporaryFile() for _ in range(2)]  # its stdout, stderr
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.similarity"],
            stdin=subprocess.PIPE,
            stdout=self._files[0],
            stderr=self._files[1],
            env=env,
        )
        self._lines.put({"boilerplate": boilerplate, "threshold": threshold})
        # a thread writes to the child, so that the batch never waits for it to read
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        stdin = self._proc.stdin
        try:
            while (message := self._lines.get()) is not None:
                stdin.write(json.dumps(message).encode() + b"\n")
                stdin.flush()
        except (OSError, ValueError):  # the child is gone: result() says why
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def add(self, path: str | Path) -> None:
        """A file just graded: lex it now, in the background (a hint; nothing if not running)."""
        if self._proc is not None and self._sources is None:
            self._lines.put({"path": str(path)})

    def running(self) -> bool:
        """Waiting for files (False once the child has died or been stopped)."""
        return self._sources is None and (self._proc is None or self._proc.poll() is None)

    def send(self, sources: dict[str, str]) -> None:
        """Compare every pair of ``sources`` (student -> code); :meth:`result` gives the report."""
        self._sources = sources
        if self._proc is not None:
            self._lines.put({"sources": sources})
            self._lines.put(None)

    def result(self) -> SimilarityReport:
        """The report (waits for the child); raises ``RuntimeError`` if it failed."""
        if self._sources is None:
            raise ValueError("nothing to compare: send() the files first")
        if self._proc is None:
            return _report(_compare_here(self._sources, self._boilerplate, self._threshold))
        limit = WAIT_BASE + WAIT_PER_FILE * len(self._sources)
        try:
            self._feeder.join()
            try:
                code = self._proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"it did not finish in {limit:.0f} s") from None
            stdout, stderr = self._files
            if code != 0:
                stderr.seek(0)
                why = stderr.read().decode(errors="replace").strip()[-500:]
                raise RuntimeError(f"the similarity check failed: {why or f'exit {code}'}")
            stdout.seek(0)
            return _report(json.load(stdout))
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child if it still runs, and drop its files."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._lines.put(None)  # the feeder ends (a write to the dead child fails too)
        for fh in self._files:
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


def _compare_here(sources, boilerplate, threshold, processes: int = 1, cache=None) -> dict:
    """Every pair of ``sources`` as arrays (see :func:`_report`); ``cache``: code -> Print
    made before with the same boilerplate."""
    import logging

    import numpy as np
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    logging.getLogger().setLevel(logging.ERROR)  # copydetect warns about empty files
    names = sorted(sources)
    bp = boilerplate_hashes(boilerplate)
    prints = make_prints([sources[n] for n in names], bp, processes, cache)
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


READER_END = 10.0
"""Seconds the child waits, before forking its lexers, for its stdin reader to see the end
of the input (which follows the sources at once)."""


def _main() -> None:
    """The child: a line of settings, then any number of files to lex early, then the
    sources to compare (see :class:`Comparison`); the report's arrays on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch stops it, not its Ctrl-C
    lines: queue.SimpleQueue = queue.SimpleQueue()
    last = threading.Event()
    # The reader waits in a read of stdin until the batch closes it, holding its file
    # object's lock. The lexers forked at the end close sys.stdin as they start: had the
    # reader used sys.stdin, they would wait for that lock for ever (it stays held in a
    # forked copy). So the reader reads through a file object of its own, and the forks
    # wait for it to end (the batch closes stdin right after the sources).
    stdin = open(sys.stdin.fileno(), "rb", closefd=False)

    def read() -> None:
        for line in stdin:
            if line.startswith(b'{"sources"'):
                last.set()
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    settings = json.loads(lines.get())
    boilerplate = boilerplate_hashes(settings["boilerplate"])
    cache: dict = {}
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    while (line := lines.get()) is not None:
        message = json.loads(line)
        if "sources" in message:
            break
        if last.is_set():  # the batch is done: the files not lexed yet are, on every core
            continue
        if os.getpriority(os.PRIO_PROCESS, 0) == niceness:
            os.setpriority(os.PRIO_PROCESS, 0, 19)  # only what the grading leaves idle
        path = Path(message["path"])
        if not path.is_file() or path.is_symlink():  # never a FIFO: the batch reads none
            continue
        code = read_submission(path)
        if code is not None and code not in cache:
            with contextlib.suppress(Exception):  # lexed again, and reported, at the end
                make_prints([code], boilerplate, 1, cache)
    else:
        return  # the batch went away
    with contextlib.suppress(OSError):  # back to the batch's priority, where allowed
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    reader.join(timeout=READER_END)  # before any fork (its own file object, if it is late)
    processes = min(len(os.sched_getaffinity(0)), 4)
    report = _compare_here(
        message["sources"], settings["boilerplate"], settings["threshold"], processes, cache
    )
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    _main()
