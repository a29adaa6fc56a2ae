"""What the bench scripts share: the machine's load, verdict lines, submissions, otter run.

Every number a bench prints is measured in its own run, next to its baseline; the load
average is printed with it because five engineers share two cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

VARIANTS = [
    ("as written", lambda s: s),
    ("elkan", lambda s: s.replace("KMeans(", 'KMeans(algorithm="elkan", ', 1)),
    ("renamed locals", lambda s: re.sub(r"\bmodel\b", "km", s)),
    ("extra imports", lambda s: s + "\nimport math  # noqa: E402\nimport collections\n"),
]
"""Legitimate variants of a reference solution: every file distinct, every one 100%."""


def single_threaded() -> None:
    """One BLAS/OpenMP thread per process, like the sandbox children (2 workers, 2 cores)."""
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def load() -> str:
    """The 1, 5 and 15 minute load averages, as ``load 1.23 0.98 0.75``."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def target_line(what: str, value: str, target: str, ok: bool) -> str:
    """One line per target: ``TARGET what: value (target ...): met [load ...]``."""
    return f"TARGET {what}: {value} (target {target}): {verdict(ok)}  [{load()}]"


def make_submissions(name: str, n: int, folder: Path) -> list[Path]:
    """``n`` distinct copies of the reference solution, cycling through :data:`VARIANTS`."""
    source = (REPO / "solutions" / f"{name}.py").read_text()
    paths = []
    for i in range(n):
        label, change = VARIANTS[i % len(VARIANTS)]
        path = folder / f"student{i:04d}.py"
        path.write_text(change(source) + f"\n# submission {i} ({label})\n")
        paths.append(path)
    return paths


def otter_run(zip_path: Path, submission: Path, out: Path, timeout: float = 600) -> float:
    """Wall seconds of ``otter run`` with ``zip_path`` on one submission (results in ``out``)."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "otter",
            "run",
            "-a",
            str(zip_path),
            "-o",
            str(out),
            "--no-logo",
            str(submission),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"otter run failed on {submission.name}:\n{proc.stderr[-2000:]}")
    return took
