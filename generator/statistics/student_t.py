"""Student's t distribution from the standard library: its CDF and quantile.

The CDF comes from the regularized incomplete beta function (a continued fraction,
Numerical Recipes §6.4); the quantile inverts it by Newton steps kept inside a
bracket, so it agrees with ``scipy.stats.t.ppf`` to about 1e-10 for any df > 0.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300
_MAX_TERMS = 100_000
# Beyond this many degrees of freedom t and the normal differ by less than 1e-8.
_NORMAL_DF = 1e8


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def incomplete_beta(a: float, b: float, x: float, y: float | None = None) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0.

    *y* is 1 − x when the caller can compute it without cancellation.
    """
    y = 1.0 - x if y is None else y
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    # The fraction converges fast only on its own side of the mean; use symmetry past it.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def _upper_tail(t: float, df: float) -> float:
    """P(T > t) for t ≥ 0."""
    # Near t = 0, x is within rounding of 1: pass 1 − x computed directly.
    return 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t), t * t / (df + t * t))


def t_pdf(t: float, df: float) -> float:
    """Density of Student's t with df degrees of freedom."""
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with df > 0 degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    tail = _upper_tail(abs(t), df)
    return 1.0 - tail if t > 0 else tail


# Cached: the site asks for the same few (0.975, df) hundreds of thousands of times, and
# each answer inverts the incomplete beta function afresh.
@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The t with P(T ≤ t) = p, for 0 < p < 1 and df > 0."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1, not {p}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if df > _NORMAL_DF:
        return NormalDist().inv_cdf(p)
    return _invert_tail(1.0 - p, df)


def _invert_tail(target: float, df: float) -> float:
    """The t ≥ 0 with P(T > t) = target, by Newton steps inside a shrinking bracket."""
    low, high = 0.0, 1.0
    while _upper_tail(high, df) > target:
        low, high = high, high * 2.0
    t = min(max(NormalDist().inv_cdf(1.0 - target), low), high)
    for _ in range(200):
        excess = _upper_tail(t, df) - target
        if excess > 0:
            low = t
        else:
            high = t
        density = t_pdf(t, df)
        step = excess / density if density > 0 else math.inf
        candidate = t + step
        # A Newton step that leaves the bracket is replaced by bisection.
        if not low < candidate < high:
            candidate = (low + high) / 2.0
        if abs(candidate - t) <= 1e-14 * max(1.0, abs(t)):
            return candidate
        t = candidate
    return t
