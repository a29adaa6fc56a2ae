"""The exact computation behind the D² test of q4_init_kmeans_plus_plus.

The test calls ``init_kmeans_plus_plus`` D2_CALLS times with k = 3 on four points and
counts which point is left out. This module gives, for correct k-means++ and for every
known way to get it wrong, the exact distribution of one call's outcome, and from it the
exact probability that the test fails: a sum over every possible vector of counts.
Used by calibration/kmeans_scratch.py; the numbers are in docs/calibration/kmeans_scratch.md.
"""

from __future__ import annotations

import itertools
import types

import numpy as np
from scipy.special import gammaln


def kpp_left_out(points: np.ndarray, k: int, rule: str) -> np.ndarray:
    """Exact distribution of (left-out point 0..n-1, 'a point picked twice') under a rule."""
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    n = len(points)
    out = np.zeros(n + 1)

    def weights(chosen: list[int]) -> np.ndarray:
        if rule in ("d2", "first_row"):
            w = d2[chosen].min(axis=0)
        elif rule == "d1":
            w = np.sqrt(d2[chosen].min(axis=0))
        elif rule == "last_centre":
            w = d2[chosen[-1]]
        elif rule == "uniform":  # rng.choice(n): with replacement
            w = np.ones(n)
        elif rule == "farthest":
            w = np.zeros(n)
            w[np.argmax(d2[chosen].min(axis=0))] = 1
        else:
            raise ValueError(rule)
        return w / w.sum()

    for order in itertools.product(range(n), repeat=k):
        if rule == "first_row":  # the first centre is always row 0
            p = 1.0 if order[0] == 0 else 0.0
        else:
            p = 1.0 / n
        for step in range(1, k):
            p *= weights(list(order[:step]))[order[step]]
        if p == 0:
            continue
        if len(set(order)) < k:
            out[n] += p
        else:
            out[list(set(range(n)) - set(order))[0]] += p
    return out


def greedy_left_out(points: np.ndarray, k: int) -> np.ndarray:
    """Exact distribution for scikit-learn's greedy k-means++ (2 + log k candidates)."""
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    n, trials = len(points), 2 + int(np.log(k))
    out = np.zeros(n + 1)

    def walk(chosen: list[int], current: np.ndarray, p: float) -> None:
        if len(chosen) == k:
            out[list(set(range(n)) - set(chosen))[0]] += p
            return
        w = current / current.sum()
        nxt: dict[int, float] = {}
        for cands in itertools.product(range(n), repeat=trials):
            q = float(np.prod(w[list(cands)]))
            if q == 0:
                continue
            pots = [np.minimum(current, d2[c]).sum() for c in cands]
            pick = cands[int(np.argmin(pots))]
            nxt[pick] = nxt.get(pick, 0.0) + q
        for pick, q in nxt.items():
            walk([*chosen, pick], np.minimum(current, d2[pick]), p * q)

    for i in range(n):
        walk([i], d2[i].copy(), 1.0 / n)
    return out


def d2_exact_table(q4: types.ModuleType) -> None:
    """False-failure rate of the D² test and its power against each known bug, exactly."""
    points, k, calls, limit = q4.D2_POINTS, q4.D2_K, q4.D2_CALLS, q4.D2_G_LIMIT
    p0 = q4.d2_left_out_probabilities()
    assert np.allclose(p0, kpp_left_out(points, k, "d2")[:-1])
    rules = {
        "d2 (correct)": kpp_left_out(points, k, "d2"),
        "distance not squared": kpp_left_out(points, k, "d1"),
        "uniform (with replacement)": kpp_left_out(points, k, "uniform"),
        "last centre only": kpp_left_out(points, k, "last_centre"),
        "farthest point": kpp_left_out(points, k, "farthest"),
        "first row first": kpp_left_out(points, k, "first_row"),
        "greedy (scikit-learn)": greedy_left_out(points, k),
    }
    order = np.argsort(points[:, 0])
    # Every count vector (c0, c1, c2, c3) with sum = calls: G and its probability under
    # each rule, one slice of c0 at a time.
    reject = dict.fromkeys(rules, 0.0)
    for c0 in range(calls + 1):
        c1, c2 = np.meshgrid(np.arange(calls + 1 - c0), np.arange(calls + 1 - c0), indexing="ij")
        keep = c1 + c2 <= calls - c0
        counts = np.stack(
            [np.full(keep.sum(), c0), c1[keep], c2[keep], calls - c0 - c1[keep] - c2[keep]], axis=1
        )
        expected = calls * p0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(counts > 0, counts * np.log(counts / expected), 0.0)
        g = 2 * terms.sum(axis=1)
        log_multinomial = gammaln(calls + 1) - gammaln(counts + 1).sum(axis=1)
        over = g > limit
        for rule, dist in rules.items():
            valid = dist[:-1]
            if valid.sum() == 0:
                continue
            cond = valid / valid.sum()
            with np.errstate(divide="ignore"):
                log_q = np.where(counts > 0, counts * np.log(np.where(cond > 0, cond, 1)), 0.0)
                impossible = ((counts > 0) & (cond == 0)).any(axis=1)
            prob = np.exp(log_multinomial + log_q.sum(axis=1))
            prob[impossible] = 0.0
            reject[rule] += float(prob[over].sum()) * (1 - dist[-1]) ** calls
    print(
        f"\nD² test: points at {points[order, 0] / 0.6} on a line, k = {k}, {calls} calls, "
        f"G limit {limit}"
    )
    print(
        f"{'rule':28s} {'P(left out) for 0, 3, 4, 7':>34s} {'P(picked twice)':>16s} "
        f"{'P(test fails)':>14s} {'P(test passes)':>14s}"
    )
    for rule, dist in rules.items():
        fails = 1 - (1 - dist[-1]) ** calls + reject[rule]
        shown = " ".join(f"{v:.4f}" for v in dist[:-1][order])
        print(f"{rule:28s} {shown:>34s} {dist[-1]:16.4f} {fails:14.4g} {1 - fails:14.4g}")
