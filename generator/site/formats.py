"""How figures, statuses and names are written on the site: defined once.

Pages use these functions as Jinja filters. The browser's tables format with
``ZB.format`` (``templates/static/format.js``), which follows the same rules and
reads the constants of ``RULES`` from the page, so a figure reads the same in a
server-rendered page and in a table drawn by JavaScript (``tests/test_formats.py``
runs both over the same values).

One rounding rule on both sides: a half rounds away from zero, as JavaScript's
``toFixed`` does (Python's own formatting rounds a half to even).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from generator import times
from generator.queries.common import FAILED_STATUSES

DASH = "—"  # a missing value
NO_MODEL = "(no model)"
PAIR_JOIN = " · "  # between an agent and its model
SHORT_ID = 13  # ids longer than this show their first SHORT_ID - 1 characters and ELLIPSIS
ELLIPSIS = "…"
STATUSES = ("completed", "failed", "running", "incomplete")  # each has its own badge colour
OTHER_STATUS = "other"  # the badge class of any other status
# A run's success: the badge class, label and tooltip of each case.
SUCCESS = {
    "successful": {"badge": "completed", "label": "successful", "title": ""},
    "unsuccessful": {"badge": "failed", "label": "not successful", "title": ""},
    "unknown": {"badge": "other", "label": "unknown", "title": "this file does not record success"},
}

# An interval's kinds: how its limits are written (a rate in whole percents, a score
# with two decimals), as "(71–90)" after the figure.
INTERVAL_DIGITS = {"pct": 0, "num": 2}
INTERVAL_JOIN = "–"
INTERVAL_TITLE = "95% interval: how it is worked out"  # the tooltip of its link
# Figures from fewer runs than this carry the "few runs" mark.
FEW_RUNS = 5
FEW_RUNS_MARK = {
    "label": "few runs",
    "title": (
        f"From fewer than {FEW_RUNS} runs: the 95% interval is wide, and the next run "
        "may move this figure a lot."
    ),
}

# Everything format.js needs besides the rules it implements; written into pages that use it.
RULES: dict[str, Any] = {
    "dash": DASH,
    "noModel": NO_MODEL,
    "pairJoin": PAIR_JOIN,
    "shortId": SHORT_ID,
    "ellipsis": ELLIPSIS,
    "statuses": list(STATUSES),
    "otherStatus": OTHER_STATUS,
    "success": SUCCESS,
    "failedStatuses": list(FAILED_STATUSES),
    "intervalDigits": INTERVAL_DIGITS,
    "intervalJoin": INTERVAL_JOIN,
    "fewRuns": FEW_RUNS,
    "fewRunsMark": FEW_RUNS_MARK,
    "intervalTitle": INTERVAL_TITLE,
}

_SAFE = 2.0**53  # floats at and above this are whole numbers
_STEPS = {digits: Decimal(1).scaleb(-digits) for digits in range(9)}


def fixed(value: float, digits: int, grouping: str = "") -> str:
    """*value* with *digits* decimals (and *grouping* "," for thousands separators); a
    half rounds away from zero; never "-0.00".

    Formatting rounds the float's exact value, so only an exact half can come out
    differently from ``toFixed``: only then (a rare case) is Decimal asked.
    """
    x: float | Decimal = float(value)
    scaled = x * (2 * 10**digits)  # exactly an odd whole number at a half
    if abs(x) < _SAFE and (abs(scaled) >= _SAFE or (scaled.is_integer() and scaled % 2 == 1)):
        x = Decimal(x).quantize(_STEPS[digits], ROUND_HALF_UP)
    text = f"{x:{grouping}.{digits}f}"
    return text[1:] if text[0] == "-" and not text.strip("-0.,") else text


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | int | None, digits: int = 2) -> str:
    """A number with thousands separators (a whole ``int`` without decimals); a dash when
    missing."""
    if _missing(value):
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return fixed(value, digits, ",")


def count(value: float | int | None) -> str:
    """A whole number with thousands separators; a dash when missing."""
    if _missing(value):
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return fixed(value, 0, ",")


def percent(value: float | None, digits: int = 1) -> str:
    """A 0–1 fraction as a percentage."""
    scaled = None if value is None else float(value) * 100
    if _missing(scaled):
        return DASH
    return fixed(scaled, digits, ",") + "%"


def interval(ci: Sequence[float] | None, kind: str = "pct") -> str:
    """A 95% interval as ``71–90`` (a 0–1 rate in percents, *kind* "pct") or
    ``6.80–7.44`` (*kind* "num"); empty when there is none."""
    if ci is None or any(_missing(v) for v in ci):
        return ""
    scale = 100 if kind == "pct" else 1
    digits = INTERVAL_DIGITS[kind]
    return INTERVAL_JOIN.join(fixed(float(v) * scale, digits, ",") for v in ci)


def few_runs(runs: int | None) -> bool:
    """Whether a figure of *runs* runs carries the "few runs" mark (none: no figure)."""
    return runs is not None and 0 < runs < FEW_RUNS


def cost(value: float | None) -> str:
    """US dollars: four decimals below a dollar, where agent runs usually are."""
    if _missing(value):
        return DASH
    digits = 4 if fixed(abs(value), 4)[0] == "0" else 2  # 0.99996 is $1.00, not $1.0000
    return "$" + fixed(value, digits, ",")


def duration(ms: float | None) -> str:
    """Milliseconds as ``850 ms``, ``12.3 s``, ``4m 05s`` or ``2h 03m``; each unit is chosen
    after rounding, so 59.96 s is ``1m 00s``, not ``60.0 s``."""
    if _missing(ms):
        return DASH
    if ms < 0:
        return "-" + duration(-ms)
    whole_ms = fixed(float(ms), 0)
    if int(whole_ms) < 1000:
        return f"{whole_ms} ms"
    seconds = ms / 1000
    tenths = fixed(seconds, 1)
    if float(tenths) < 60:
        return f"{tenths} s"
    # In floats, as JavaScript counts: the same answer for any number of hours.
    total = float(fixed(seconds, 0))
    minutes = math.floor(total / 60)
    if minutes < 60:
        return f"{minutes}m {int(math.fmod(total, 60)):02d}s"
    return f"{count(math.floor(minutes / 60))}h {int(math.fmod(minutes, 60)):02d}m"


def size(value: int | None) -> str:
    """A number of bytes as ``812 bytes``, ``18.4 KB``, ``3.1 MB`` or ``1.20 GB``."""
    if _missing(value):
        return DASH
    if value < 1000:
        return f"{value:,} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if value < scale * 1000:
            return f"{fixed(value / scale, 1)} {unit}"
    return f"{fixed(value / 1e9, 2, ',')} GB"


def when(value: object) -> str:
    """Any stored timestamp as ``YYYY-MM-DD HH:MM:SS UTC``; a dash when missing, the value
    itself when unreadable."""
    if value is None:
        return DASH
    try:
        iso = times.to_iso(value)
    except ValueError:
        return str(value)
    return f"{iso[:10]} {iso[11:19]} UTC"


def text(value: object) -> str:
    """A text value as it is; a dash when missing or empty."""
    return DASH if value is None or value == "" else str(value)


def short_id(value: object) -> str:
    """A run or batch id cut to SHORT_ID characters (the page of the id shows it whole)."""
    name = str(value)
    return name if len(name) <= SHORT_ID else name[: SHORT_ID - 1] + ELLIPSIS


def pair(agent: str, model: str | None) -> str:
    """How an agent + model pair is named on charts and cards."""
    return f"{agent}{PAIR_JOIN}{model}" if model else f"{agent} {NO_MODEL}"


def status_class(status: object) -> str:
    """The badge class of a run or batch status."""
    return f"badge-{status if status in STATUSES else OTHER_STATUS}"


def success(is_successful: bool | int | None, status: object) -> dict[str, str]:
    """The success badge of a run: ``{badge, label, title}`` (successful means completed
    and successful; unknown where the file does not record success and the run did
    not fail, as the figures count it: ``common.is_known``)."""
    if is_successful is None and status not in FAILED_STATUSES:
        return SUCCESS["unknown"]
    return SUCCESS["successful" if is_successful and status == "completed" else "unsuccessful"]
