"""Statistics for benchmark results: intervals, tests and repeated-trial measures.

Pure functions on counts and numbers, standard library only. The methods, their
formulas and worked examples are in ``docs/statistics.md``; each function here
names the section it implements.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from statistics import NormalDist, fmean, stdev
from typing import Any

from generator.statistics.student_t import t_cdf, t_quantile

Interval = tuple[float, float]

Z95 = NormalDist().inv_cdf(0.975)
# The sign-flip test enumerates every sign pattern up to this many non-zero differences
# (2^20 patterns, counted in halves), and draws DRAWS patterns beyond it.
EXACT_UP_TO = 20
DRAWS = 20_000
SEED = 15
# Sums closer than this (relative to the data) are ties: they count as extreme.
_TIE = 1e-9


def as_list(interval: tuple[float, float] | None) -> list[float] | None:
    """An interval as the JSON API writes it: ``[low, high]``, or None."""
    return None if interval is None else [interval[0], interval[1]]


def _z(alpha: float) -> float:
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """Wilson score interval for successes/n; None when n is 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and {n}, not {successes}")
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    # At 0/n and n/n one limit is exactly 0 or 1; computing it would leave rounding dust.
    low = 0.0 if successes == 0 else (centre - spread) / denominator
    high = 1.0 if successes == n else (centre + spread) / denominator
    return (low, high)


def newcombe(c1: int, n1: int, c2: int, n2: int) -> Interval | None:
    """Newcombe hybrid score interval for p2 − p1 of two independent proportions."""
    first, second = wilson(c1, n1), wilson(c2, n2)
    if first is None or second is None:
        return None
    p1, p2 = c1 / n1, c2 / n2
    (l1, u1), (l2, u2) = first, second
    delta = p2 - p1
    return (
        delta - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        delta + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def newcombe_paired(both: int, base_only: int, cand_only: int, neither: int) -> Interval | None:
    """Newcombe's square-and-add interval (1998, method 10) for a paired p_cand − p_base."""
    n = both + base_only + cand_only + neither
    base, cand = both + base_only, both + cand_only
    first, second = wilson(base, n), wilson(cand, n)
    if first is None or second is None:
        return None
    p1, p2 = base / n, cand / n
    (l1, u1), (l2, u2) = first, second
    phi = _phi(both, base_only, cand_only, neither)
    delta = p2 - p1
    below = (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2
    above = (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2
    return (delta - math.sqrt(max(below, 0.0)), delta + math.sqrt(max(above, 0.0)))


def _phi(a: int, b: int, c: int, d: int) -> float:
    """The correlation of the paired outcomes, with Newcombe's correction towards 0."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n = a + b + c + d
    cross = a * d - b * c
    if cross > n / 2:
        cross -= n / 2
    elif cross >= 0:
        cross = 0
    return cross / math.sqrt(margins)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts b and c."""
    m = b + c
    if m == 0:
        return 1.0
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**m)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher's exact p-value for the 2×2 table [[a, b], [c, d]].

    Tables as likely as the observed one or less are summed; probabilities are
    compared as exact integers, so ties are never lost to rounding.
    """
    row1, row2, col1 = a + b, c + d, a + c
    if min(row1, row2, col1, b + d) == 0:
        return 1.0

    def weight(x: int) -> int:
        return math.comb(row1, x) * math.comb(row2, col1 - x)

    observed = weight(a)
    xs = range(max(0, col1 - row2), min(col1, row1) + 1)
    extreme = sum(w for w in map(weight, xs) if w <= observed)
    return min(1.0, extreme / math.comb(row1 + row2, col1))


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Interval | None:
    """mean ± t(n−1)·sd/√n; None below 2 values."""
    n = len(values)
    if n < 2:
        return None
    mean = fmean(values)
    half = t_quantile((1 + confidence) / 2, n - 1) * stdev(values) / math.sqrt(n)
    return (mean - half, mean + half)


def cluster_mean_interval(
    values_by_cluster: Iterable[Sequence[float]],
) -> tuple[float, Interval] | None:
    """Mean of all values with a cells-as-clusters interval (df = C − 1); None below 2 cells.

    SE = √(Σ_c (Σ_i (s_ic − s̄))² · C/(C−1)) / n, the CR1 sandwich of an intercept-only
    model (statsmodels' ``cov_type="cluster"``). With one value per cell it is the plain
    t interval. One cell gives no interval: the spread between cells is what it measures.
    """
    clusters = [list(cluster) for cluster in values_by_cluster if len(cluster) > 0]
    if len(clusters) < 2:
        return None
    values = [v for cluster in clusters for v in cluster]
    mean = fmean(values)
    count = len(clusters)
    squares = math.fsum(math.fsum(v - mean for v in cluster) ** 2 for cluster in clusters)
    se = math.sqrt(squares * count / (count - 1)) / len(values)
    half = t_quantile(0.975, count - 1) * se
    return mean, (mean - half, mean + half)


def moments_interval(
    moments: Iterable[Sequence[float]], confidence: float = 0.95
) -> Interval | None:
    """Interval of a mean from [count, sum, sum of squares] per cell; None below 2 values.

    Two cells or more: the cells-as-clusters interval of ``cluster_mean_interval``
    (only the counts and sums of the cells are needed). All values in one cell: the
    plain t interval from the sum of squares. The same numbers as those functions
    give on the values themselves, without keeping the values.
    """
    cells = [(int(c[0]), float(c[1]), float(c[2])) for c in moments if c[0] > 0]
    n = sum(count for count, _, _ in cells)
    if n < 2:
        return None
    mean = math.fsum(total for _, total, _ in cells) / n
    level = (1 + confidence) / 2
    if len(cells) >= 2:
        count = len(cells)
        squares = math.fsum((total - size * mean) ** 2 for size, total, _ in cells)
        half = t_quantile(level, count - 1) * math.sqrt(squares * count / (count - 1)) / n
    else:
        _, total, sum_squares = cells[0]
        variance = max(0.0, (sum_squares - total * mean) / (n - 1))
        half = t_quantile(level, n - 1) * math.sqrt(variance / n)
    return (mean - half, mean + half)


def rate_interval(cells: Sequence[tuple[int, int]]) -> Interval | None:
    """95% interval for a success rate over cells given as (runs, successes).

    Wilson on the pooled runs, widened to the cells-as-clusters interval when cells
    repeat and that one is wider: repeated runs of a cell are not independent trials.
    """
    runs = sum(n for n, _ in cells)
    successes = sum(c for _, c in cells)
    interval = wilson(successes, runs)
    if interval is None or all(n <= 1 for n, _ in cells):
        return interval
    clustered = cluster_mean_interval([[1.0] * c + [0.0] * (n - c) for n, c in cells])
    if clustered is None:
        return interval
    _, (low, high) = clustered
    return (min(interval[0], max(low, 0.0)), max(interval[1], min(high, 1.0)))


def welch(base: Sequence[float], cand: Sequence[float]) -> tuple[float, Interval, float] | None:
    """mean(cand) − mean(base) with Welch's 95% interval and two-sided p; None below 2 each."""
    n1, n2 = len(base), len(cand)
    if n1 < 2 or n2 < 2:
        return None
    delta = fmean(cand) - fmean(base)
    v1, v2 = stdev(base) ** 2 / n1, stdev(cand) ** 2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return delta, (delta, delta), 1.0 if delta == 0 else 0.0
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = t_quantile(0.975, df) * se
    p = 2 * t_cdf(-abs(delta) / se, df)
    return delta, (delta - half, delta + half), min(1.0, p)


def log_ratio_interval(
    base_values: Iterable[float], cand_values: Iterable[float]
) -> tuple[float, Interval] | None:
    """Ratio of geometric means cand/base with a 95% interval (Welch on the logs).

    Values that are not positive have no logarithm and are left out; None when
    fewer than 2 remain on a side.
    """
    base_logs = [math.log(v) for v in base_values if v is not None and v > 0]
    cand_logs = [math.log(v) for v in cand_values if v is not None and v > 0]
    result = welch(base_logs, cand_logs)
    if result is None:
        return None
    delta, (low, high), _ = result
    return math.exp(delta), (math.exp(low), math.exp(high))


def sign_flip_pvalue(
    diffs: Sequence[float],
    alternative: str = "two-sided",
    seed: int = SEED,
    draws: int = DRAWS,
) -> float:
    """Sign-flip permutation p-value of the mean of paired differences.

    *alternative*: ``two-sided``, ``less`` (the mean is below 0) or ``greater``.
    Exact for up to EXACT_UP_TO non-zero differences, beyond that a Monte Carlo
    estimate (count + 1)/(draws + 1) with a fixed seed: the same input always gives
    the same p. Zeros flip to themselves and are left out; the order of *diffs*
    does not matter.
    """
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative must be two-sided, less or greater, not {alternative!r}")
    values = sorted(d for d in diffs if d != 0)
    if not values:
        return 1.0
    observed = math.fsum(values)
    tie = _TIE * math.fsum(abs(v) for v in values)
    if alternative == "two-sided" and abs(observed) <= tie:
        return 1.0
    count = _exact_count if len(values) <= EXACT_UP_TO else _drawn_count
    extreme, total = count(values, observed, tie, alternative, seed, draws)
    return min(1.0, extreme / total)


def _signed_sums(values: Sequence[float]) -> list[float]:
    sums = [0.0]
    for v in values:
        sums = [s + v for s in sums] + [s - v for s in sums]
    return sums


def _exact_count(
    values: Sequence[float], observed: float, tie: float, alternative: str, *_: Any
) -> tuple[int, int]:
    """(extreme patterns, all patterns), meeting in the middle: 2 × 2^(k/2) sums."""
    half = len(values) // 2
    left, right = _signed_sums(values[:half]), sorted(_signed_sums(values[half:]))
    at_least, at_most = abs(observed) - tie, -abs(observed) + tie
    if alternative == "greater":
        at_least, at_most = observed - tie, -math.inf
    elif alternative == "less":
        at_least, at_most = math.inf, observed + tie
    extreme = 0
    for s in left:
        extreme += len(right) - bisect_left(right, at_least - s)
        extreme += bisect_right(right, at_most - s)
    return extreme, len(left) * len(right)


def _drawn_count(
    values: Sequence[float], observed: float, tie: float, alternative: str, seed: int, draws: int
) -> tuple[int, int]:
    """(1 + extreme draws, 1 + draws): random sign patterns from a seeded generator."""
    # Sums of every subset of each byte's values, so that a draw costs k/8 look-ups.
    chunks = [values[i : i + 8] for i in range(0, len(values), 8)]
    tables = [[_subset_sum(chunk, mask) for mask in range(1 << len(chunk))] for chunk in chunks]
    total = math.fsum(values)
    rng = random.Random(seed)
    extreme = 0
    for _ in range(draws):
        signs = rng.getrandbits(len(values)).to_bytes(len(tables), "little")
        s = total - 2 * sum(map(list.__getitem__, tables, signs))
        if alternative == "two-sided":
            extreme += abs(s) >= abs(observed) - tie
        elif alternative == "greater":
            extreme += s >= observed - tie
        else:
            extreme += s <= observed + tie
    return extreme + 1, draws + 1


def _subset_sum(chunk: Sequence[float], mask: int) -> float:
    return math.fsum(v for i, v in enumerate(chunk) if mask >> i & 1)


def paired_differences(diffs: Sequence[float], alternative: str = "two-sided") -> dict[str, Any]:
    """Mean of per-cell differences, its t interval (df = S − 1) and sign-flip p-value."""
    values = list(diffs)
    return {
        "cells": len(values),
        "mean": fmean(values) if values else None,
        "sd": stdev(values) if len(values) >= 2 else None,
        "ci": t_interval(values),
        "pValue": sign_flip_pvalue(values, alternative) if values else None,
    }


def benjamini_hochberg(pvalues: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg q-values in input order; None entries stay None."""
    ranked = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(ranked)
    q: list[float | None] = [None] * len(pvalues)
    running = 1.0
    # From the largest p down, q is the running minimum of m·p/rank. Scaling p by
    # m/rank ≥ 1 (not m·p, then /rank) keeps q ≥ p after rounding.
    for rank in range(m, 0, -1):
        p, index = ranked[rank - 1]
        running = min(running, p * (m / rank))
        q[index] = running
    return q


def _check_trials(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 ≤ c ≤ n and k ≥ 1, not n={n}, c={c}, k={k}")


def pass_at_k(n: int, c: int, k: int) -> float | None:
    """Unbiased chance that at least one of k runs succeeds; None when n < k."""
    _check_trials(n, c, k)
    if n < k:
        return None
    # One division of exact integers: pass@1 is exactly c/n and never below pass^k.
    return (math.comb(n, k) - math.comb(n - c, k)) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float | None:
    """Unbiased chance that all k runs succeed (pass^k); None when n < k."""
    _check_trials(n, c, k)
    if n < k:
        return None
    return math.comb(c, k) / math.comb(n, k)


def pass_over_cells(
    cells: Iterable[tuple[int, int]],
    k: int,
    measure: Callable[[int, int, int], float | None] = pass_at_k,
) -> tuple[float | None, int]:
    """Mean of *measure* over the cells (runs, successes) with at least k runs, and their count."""
    values = [v for n, c in cells if (v := measure(n, c, k)) is not None]
    return (fmean(values) if values else None), len(values)


def disagreement(n: int, c: int) -> float | None:
    """Chance that two runs of a cell disagree, 2c(n−c)/(n(n−1)); None below 2 runs."""
    _check_trials(n, c, 1)
    if n < 2:
        return None
    return 2 * c * (n - c) / (n * (n - 1))


def mde_paired(
    sd: float | None, cells: int, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest mean paired difference detectable: (z_{1−α/2} + z_power)·sd/√S."""
    if sd is None or cells < 1:
        return None
    return (_z(alpha) + NormalDist().inv_cdf(power)) * sd / math.sqrt(cells)


def runs_needed(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Runs per side to tell rate p1 from p2 (two-sided test of two proportions)."""
    if p1 == p2:
        return math.inf
    p_bar = (p1 + p2) / 2
    spread = _z(alpha) * math.sqrt(2 * p_bar * (1 - p_bar))
    spread += NormalDist().inv_cdf(power) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return spread**2 / (p1 - p2) ** 2


def mde_unpaired(p: float, n: float, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Smallest drop from rate p that n runs per side detect; None when no drop can be."""
    if n <= 0 or p <= 0 or runs_needed(p, 0.0, alpha, power) > n:
        return None
    low, high = 0.0, p
    # runs_needed falls as the drop grows: bisect for where it meets n.
    for _ in range(60):
        middle = (low + high) / 2
        if runs_needed(p, p - middle, alpha, power) > n:
            low = middle
        else:
            high = middle
    return high
