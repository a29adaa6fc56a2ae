"""Benchmark of the reports: the figures' cost per submission, and the similarity check.

Prints, all measured in this run:

- per assignment, the wall time of grading the reference solution with and without
  its feedback figures (median of 5; target: a few hundred ms at most);
- the wall time to compare N submissions pairwise (target: 200 in under 30 s);
- the similarity of honest pairs (the demo class of every assignment: different
  students' work, several built from the same reference) against planted copies
  (each demo submission with its names renamed, its functions reordered and its
  comments changed), with the threshold in between.

Usage: python bench/bench_reports.py [-n 200]
"""

from __future__ import annotations

import argparse
import ast
import io
import keyword
import random
import re
import statistics
import sys
import time
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.similarity import THRESHOLD, compare  # noqa: E402

ASSIGNMENTS = ["handwriting", "kmeans_scratch", "oosterhout", "color_compression"]
KEEP = set(dir(__builtins__)) | {"np", "pd", "self"}


def disguise(source: str, rng: random.Random) -> str:
    """A copy with local names renamed, top-level functions shuffled, comments reworded."""
    funcs = re.split(r"\n(?=def |class )", source)
    head, body = funcs[0], funcs[1:]
    rng.shuffle(body)
    source = "\n".join([head, *body])
    tree = ast.parse(source)
    local = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    local |= {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    out = []
    names: dict[str, str] = {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        kind, text = tok.type, tok.string
        if kind == tokenize.NAME and text in local and not keyword.iskeyword(text):
            if text not in KEEP and not text.isupper():
                text = names.setdefault(text, f"v{len(names)}_{rng.randrange(1000)}")
        elif kind == tokenize.COMMENT:
            text = "# " + "".join(rng.sample("changed comment words", 12))
        out.append(tok._replace(string=text))
    return tokenize.untokenize(out)


def figure_cost(name: str, repeat: int = 5) -> tuple[float, float, int]:
    """Median seconds to grade the solution without and with figures; figures made."""
    from autograder.grading import Grader

    solution = REPO / "solutions" / f"{name}.py"
    times = {}
    made = 0
    for figures in (False, True):
        grader = Grader(name, figures=figures)
        try:
            grader.grade(solution)  # warm: imports, zygote
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                result = grader.grade(solution)
                runs.append(time.perf_counter() - start)
            made = len(result.figures) if figures else made
        finally:
            grader.close()
        times[figures] = statistics.median(runs)
    return times[False], times[True], made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(0)

    for name in ASSIGNMENTS:
        without, with_figures, made = figure_cost(name)
        print(
            f"{name}: grading {without * 1000:.0f} ms, with {made} figure(s) "
            f"{with_figures * 1000:.0f} ms: figures cost {(with_figures - without) * 1000:+.0f} ms"
        )

    honest, planted = [], []
    for name in ASSIGNMENTS:
        stub = (REPO / "assignments" / name / f"{name}.py").read_text()
        files = sorted((REPO / "examples" / name).glob("*.py"))
        sources = {p.stem: p.read_text() for p in files}
        sources.update({f"copy_of_{k}": disguise(v, rng) for k, v in list(sources.items())})
        for p in compare(sources, boilerplate=stub).pairs:
            a, b = p.student_a.removeprefix("copy_of_"), p.student_b.removeprefix("copy_of_")
            if a == b:
                planted.append(p.similarity)
            elif not p.student_a.startswith("copy_of_") and not p.student_b.startswith("copy_of_"):
                honest.append(p.similarity)
    print(
        f"honest pairs ({len(honest)}): max {max(honest):.3f}, mean {sum(honest) / len(honest):.3f}"
    )
    print(
        f"planted copies ({len(planted)}): min {min(planted):.3f}, "
        f"mean {sum(planted) / len(planted):.3f}"
    )
    print(
        f"threshold {THRESHOLD}: honest pairs above it {sum(h >= THRESHOLD for h in honest)}, "
        f"planted copies below it {sum(p < THRESHOLD for p in planted)}"
    )

    name = "kmeans_scratch"
    stub = (REPO / "assignments" / name / f"{name}.py").read_text()
    bases = [p.read_text() for p in sorted((REPO / "examples" / name).glob("*.py"))]
    bases += [p.read_text() for p in sorted((REPO / "tests/fixtures/similarity").glob("*.py"))]
    sources = {f"s{i:03d}": disguise(bases[i % len(bases)], rng) for i in range(args.n)}
    start = time.perf_counter()
    report = compare(sources, boilerplate=stub)
    seconds = time.perf_counter() - start
    print(
        f"{args.n} submissions, {len(report.pairs)} pairs compared in {seconds:.1f} s "
        f"(target: under 30 s)"
    )


if __name__ == "__main__":
    main()
