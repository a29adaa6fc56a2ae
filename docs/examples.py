"""The example output in the READMEs, made by real runs: check it, or write it anew.

An example is a fenced block right after a marker that names the command which made it::

    <!-- example: clusterlab check handwriting examples/handwriting/smit_daan.py -->
    ```text
    ...what that command prints...
    ```

``python docs/examples.py`` runs every such command (``clusterlab`` is this checkout's
``python -m autograder.cli``, in the repository's folder, on a terminal 100 columns
wide) and says which blocks differ from the real output; ``--write`` puts the real
output into them. Times and the checkout's path are normalised before comparing.
``tests/test_readme_examples.py`` runs the check.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- example: (?P<command>.+?) -->\s*$")
WIDTH = "100"
"""Terminal width of the runs (COLUMNS): wide enough that no example line wraps."""


@dataclass
class Example:
    """One marked block of a README."""

    readme: Path
    command: str
    first: int
    """Index of the block's first line of output (after the opening fence)."""
    last: int
    """Index of the closing fence."""
    shown: str


def readmes() -> list[Path]:
    """Every README that may show output: the project's and each bundle's."""
    return [REPO / "README.md", *sorted((REPO / "assignments").glob("*/README.md"))]


def examples(readme: Path) -> list[Example]:
    """The marked blocks of ``readme``; a marker without a fenced block right after it
    raises ``ValueError``."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            raise ValueError(f"{readme}:{i + 1}: an example marker needs a ``` block under it")
        end = next((j for j in range(i + 2, len(lines)) if lines[j].startswith("```")), None)
        if end is None:
            raise ValueError(f"{readme}:{i + 2}: the example's block is not closed")
        shown = "\n".join(lines[i + 2 : end])
        found.append(Example(readme, m["command"], i + 2, end, shown))
    return found


def run(command: str) -> str:
    """What ``command`` prints (stdout and stderr), as a reader of the README sees it."""
    words = shlex.split(command)
    if words[0] != "clusterlab":
        raise ValueError(f"an example runs clusterlab, not {words[0]!r}")
    env = {**os.environ, "COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", *words[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    return proc.stdout + proc.stderr


def normalise(text: str) -> str:
    """Without what changes between runs and machines: times, this checkout's path,
    trailing blanks."""
    text = text.replace(str(REPO) + os.sep, "").replace(str(REPO), ".")
    text = re.sub(r"\b\d+(\.\d+)? ?s\b", "<t>s", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="Put the real output in.")
    args = parser.parse_args(argv)
    stale = 0
    for readme in readmes():
        found = examples(readme)
        if not found:
            continue
        lines = readme.read_text(encoding="utf-8").splitlines()
        for ex in reversed(found):  # from the end: earlier indices stay valid
            real = run(ex.command)
            if normalise(real) == normalise(ex.shown):
                continue
            stale += 1
            shown = readme.relative_to(REPO) if readme.is_relative_to(REPO) else readme
            where = f"{shown}:{ex.first}"
            if args.write:
                lines[ex.first : ex.last] = real.rstrip("\n").splitlines()
                print(f"wrote {where}: {ex.command}")
            else:
                print(f"out of date: {where}: {ex.command}")
                diff = difflib.unified_diff(
                    normalise(ex.shown).splitlines(),
                    normalise(real).splitlines(),
                    "shown",
                    "real",
                    lineterm="",
                )
                print("\n".join(diff))
        if args.write:
            readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
