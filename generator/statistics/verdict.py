"""The verdict of a comparison and the sentences that explain it."""

from __future__ import annotations

import math

TOLERANCE = 0.05
ALPHA = 0.05


def _points(rate: float) -> str:
    value = round(abs(rate) * 100, 1)
    return f"{value:g} point{'' if value == 1 else 's'}"


def _change(delta: float) -> str:
    if delta == 0:
        return "success rate unchanged"
    return f"success rate {'down' if delta < 0 else 'up'} {_points(delta)}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def power_sentence(mde: float | None) -> str:
    """The power line: which drops in success rate these runs cannot detect."""
    if mde is None:
        return "with these runs, the smallest detectable drop cannot be worked out"
    # Rounded down, so that every drop the sentence names is indeed below the MDE.
    points = mde * 100 + 1e-9
    shown = f"{math.floor(points)}" if points >= 1 else f"{points:.1f}"
    return f"with these runs, drops smaller than {shown} points cannot be detected"


def _discordant_needed(alpha: float) -> int:
    """Fewest changed cells whose smallest reachable p, 2^(1−m), is below alpha."""
    m = 1
    while 2.0 ** (1 - m) >= alpha:
        m += 1
    return m


def decide(
    delta: float | None,
    p: float | None,
    mde: float | None,
    changed: int | None,
    tolerance: float = TOLERANCE,
    alpha: float = ALPHA,
) -> tuple[str, str]:
    """(verdict, reason): regression or improvement needs |Δ| ≥ tolerance and p < alpha."""
    if delta is None or p is None:
        return "inconclusive", "no runs with known success on one side: nothing to compare"
    change, shown_p, shown_tolerance = _change(delta), _p(p), _points(tolerance)
    significant = p < alpha
    material = abs(delta) >= tolerance - 1e-12  # 0.05 must count as 5 points after rounding
    if significant and material:
        kind = "regression" if delta < 0 else "improvement"
        return kind, f"{change} ({shown_p}), at least the tolerance of {shown_tolerance}"
    needed = _discordant_needed(alpha)
    if changed is not None and changed < needed:
        return "inconclusive", (
            f"{change} ({shown_p}); too few discordant cells: {changed} paired cells changed "
            f"outcome and at least {needed} are needed before any result can reach p < {alpha:g}"
        )
    if not significant and mde is not None and mde > tolerance:
        return "inconclusive", (
            f"{change}, not significant ({shown_p}), and {power_sentence(mde)}: more than "
            f"the tolerance of {shown_tolerance}"
        )
    if significant:
        return "no significant change", (
            f"{change} ({shown_p}), within the tolerance of {shown_tolerance}"
        )
    if material:
        return "no significant change", (
            f"{change}, over the tolerance of {shown_tolerance} but not significant ({shown_p})"
        )
    return "no significant change", f"{change}, not significant ({shown_p})"
