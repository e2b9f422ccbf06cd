"""formats (Python) and ZB.format (format.js) write every value alike.

The Python half checks the rules at their edges; the browser half runs both
over the same large set of values on a built page and compares every answer.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import serving

from generator.site import formats

# Values chosen to sit on the rules' edges: exact binary halves (0.125, 2.5,
# 999.5), decimal halves that are not binary ones (0.995, 1.005, 2.675), units'
# limits (999.5 ms, 59.95 s, 3599.5 s), a cost around $1, thousands, huge and tiny.
EDGES = [
    0, 1, -1, 7, 999, 1000, 1234, -1234, 999_999, 1_234_567, -1_234_567, 2**31, 2**53 - 1,
    0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.125, 0.005, 0.015, 0.025, 0.045,
    0.995, 1.005, 2.675, 1.0, 0.9999, 0.99994, 0.99995, 0.999949, 0.99996, -0.99996,
    0.064695, 0.1 + 0.2, 12.5, 999.4, 999.4999, 999.5, 999.5000001, 1000.5, 1234.5678,
    1_000_000.005, 123_456_789.125, 59.95, 59.949, 59.96, 3599.5, 3599.4, 4503599627370495.5,
    45035996273704.125, 1e15 + 0.5, 1e20, 1e21, 1.5e22, 1e300, 1.7976931348623157e308,
    5e-324, 1e-7, -1e-7, -0.001, -0.0049, -0.005,
]  # fmt: skip
MISSING = [None, math.nan, math.inf, -math.inf]
DURATIONS = [
    0, 0.4, 0.5, 1.5, 850, 999.4, 999.5, 999.5000001, 1000, 1049.9, 12_300, 59_949, 59_950,
    59_999, 60_000, 245_000, 3_599_499, 3_599_500, 3_600_000, 7_380_000, 86_400_000 * 3,
    -5, -5000, -0.0, 1e12, 1e15, 123.456,
]  # fmt: skip


def _randoms(seed: int = 14) -> list[float]:
    """Random figures at every scale, plus binary and decimal halves."""
    rng = random.Random(seed)
    values: list[float] = []
    for scale in (1e-4, 1e-2, 1, 10, 1e3, 1e5, 1e9):
        values += [rng.uniform(-scale, scale) for _ in range(150)]
    values += [rng.randrange(-80_000, 80_000) / 8 for _ in range(300)]  # binary halves
    values += [rng.randrange(0, 2_000_000) / 1000 for _ in range(300)]  # decimal halves
    values += [rng.randrange(0, 10_000_000) / 10_000 for _ in range(300)]  # costs
    values += [rng.randrange(0, 10_000) / 2 for _ in range(200)]  # half milliseconds
    values += [rng.randrange(0, 100_000) * 50 / 1 for _ in range(200)]  # 0.05 s steps
    return values


NUMBERS = EDGES + MISSING + _randoms()
TIMES = [
    "2025-10-23T19:42:11.000Z",
    "2025-10-23T19:42:11.123Z",
    "1970-01-01T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "2025-10-23T19:42:11Z",
    None,
    "",
    "not a time",
]
TEXTS = ["", "x", "L0", "update-deps", "<b>&amp;</b>", "émoji 🎉 ok", None, 0, 42, -7]
IDS = [
    "",
    "short",
    "exactly13char",
    "fourteen-chars",
    "3f8de0e1-457a-46a7-81a9-425a0cc85574",
    "🎉" * 13,
    "🎉" * 14,
    "ab🎉cdefghij🎉xyz",
    "../../x <script>",
]
PAIRS = [("echo", None), ("echo", ""), ("anthropic", "claude"), ("<a>", "</script>")]
STATUSES = ["completed", "failed", "running", "incomplete", "queued", "", None]
SUCCESSES = [None, True, False, 1, 0]


def _as_float(value):
    return float(value) if isinstance(value, int) else value


def cases() -> Iterator[tuple[str, list, str]]:
    """(ZB.format function, its arguments, the Python answer) for every value."""
    for v in NUMBERS:
        fv = _as_float(v)  # the browser cannot tell 8 from 8.0: JSON carries both as 8
        for digits in (0, 1, 2, 3, 4):
            yield "number", [v, digits], formats.number(fv, digits)
        yield "count", [v], formats.count(v)
        if isinstance(v, int):
            yield "count", [v], formats.number(v)  # a whole int in a page
        for digits in (0, 1, 2):
            yield "percent", [v, digits], formats.percent(fv, digits)
        yield "cost", [v], formats.cost(fv)
    for ms in DURATIONS + NUMBERS:
        yield "duration", [ms], formats.duration(_as_float(ms))
    for low, high in zip(NUMBERS[::7], NUMBERS[3::7], strict=False):
        ci = [_as_float(low), _as_float(high)]
        for kind in ("pct", "num"):
            yield "interval", [kind, ci], formats.interval(ci, kind)
    for kind in ("pct", "num"):
        yield "interval", [kind, None], formats.interval(None, kind)
    for runs in (None, 0, 1, 4, 5, 6, 1000):
        yield "fewRuns", [runs], formats.few_runs(runs)
    for t in TIMES:
        yield "when", [t], formats.when(t)
    for t in TEXTS:
        yield "text", [t], formats.text(t)
    for i in IDS:
        yield "shortId", [i], formats.short_id(i)
    for agent, model in PAIRS:
        yield "pair", [agent, model], formats.pair(agent, model)
    for s in STATUSES:
        yield "statusClass", [s], formats.status_class(s)
        for ok in SUCCESSES:
            yield "success", [ok, s], formats.success(ok, s)


@pytest.mark.parametrize(
    "function, value, expected",
    [
        (formats.number, 0.125, "0.13"),  # Python's own format gives 0.12
        (formats.number, 2.675, "2.67"),  # 2.675 is 2.67499… as a float
        (formats.number, -0.001, "0.00"),  # no "-0.00"
        (formats.number, 1e21, "1,000,000,000,000,000,000,000.00"),
        (formats.number, 1234, "1,234"),
        (formats.count, 999.5, "1,000"),
        (formats.percent, 0.00125, "0.1%"),
        (formats.cost, 0.99996, "$1.00"),
        (formats.cost, 0.99994, "$0.9999"),
        (formats.cost, 1234.5, "$1,234.50"),
        (formats.duration, 999.5, "1.0 s"),
        (formats.duration, 59_950, "1m 00s"),
        (formats.duration, 59_949, "59.9 s"),
        (formats.duration, 3_599_500, "1h 00m"),
        (formats.duration, 3_599_499, "59m 59s"),
        (formats.duration, -5000, "-5.0 s"),
        (formats.duration, math.nan, "—"),
        (formats.short_id, "🎉" * 14, "🎉" * 12 + "…"),
        (formats.short_id, "exactly13char", "exactly13char"),
        (formats.text, "", "—"),
    ],
)
def test_rules_at_their_edges(function, value, expected) -> None:
    assert function(value) == expected


def test_halves_round_away_from_zero_and_others_to_the_nearest() -> None:
    for k in range(-2000, 2000):
        value = k / 8  # every one a binary half at two decimals when k is odd
        expected = math.floor(abs(value) * 100 + 0.5) / 100 * (1 if value >= 0 else -1)
        assert float(formats.fixed(value, 2)) == expected, value


def test_intervals_and_the_few_runs_mark() -> None:
    assert formats.interval([0.7125, 0.9049]) == "71–90"
    assert formats.interval([6.8, 7.444], "num") == "6.80–7.44"
    assert formats.interval([-0.97, 12.87], "num") == "-0.97–12.87"
    assert formats.interval(None) == formats.interval([math.nan, 1.0]) == ""
    assert [formats.few_runs(n) for n in (None, 0, 1, 4, 5)] == [False, False, True, True, False]


def test_success_badges() -> None:
    assert formats.success(None, "completed")["label"] == "unknown"
    assert formats.success(True, "completed")["label"] == "successful"
    assert formats.success(True, "failed")["label"] == "not successful"
    # A failed run did not succeed, recorded or not, as the figures count it.
    assert formats.success(None, "failed")["label"] == "not successful"
    assert formats.success(None, "incomplete")["label"] == "not successful"
    assert formats.success(None, "running")["label"] == "unknown"
    assert formats.status_class("queued") == "badge-other"


# JSON carries the cases both ways, in one string each (much faster than Playwright's
# own serialising); the numbers JSON lacks travel as tagged strings.
_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_RUN_CASES = """text => {
  const special = {NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0};
  const value = v => (Array.isArray(v) ? v.map(value)
    : v && typeof v === 'object' && 'special' in v ? special[v.special] : v);
  const answer = ([name, args]) => ZB.format[name].apply(null, args.map(value));
  return JSON.stringify(JSON.parse(text).map(answer));
}"""


def _js(args: list) -> list:
    """Arguments as JSON can carry them: NaN, infinities and -0.0 tagged."""
    tagged = []
    for v in args:
        if isinstance(v, list):
            v = _js(v)
        elif isinstance(v, float) and not math.isfinite(v):
            v = {"special": _SPECIAL[repr(v)]}
        elif isinstance(v, float) and v == 0 and math.copysign(1, v) < 0:
            v = {"special": "-0"}
        tagged.append(v)
    return tagged


@pytest.fixture(scope="module")
def site_url(built_site: Path, site_db: Path) -> Iterator[str]:
    with serving(built_site, site_db) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("path", ["runs/index.html", "batches/index.html"])
def test_the_browser_formats_every_value_as_python_does(page, site_url: str, path: str) -> None:
    every = list(cases())
    assert len(every) > 15_000
    page.goto(site_url + path)
    answers = json.loads(page.evaluate(_RUN_CASES, json.dumps([[n, _js(a)] for n, a, _ in every])))
    wrong = [
        (name, args, expected, answer)
        for (name, args, expected), answer in zip(every, answers, strict=True)
        if answer != expected
    ]
    assert wrong == [], f"{len(wrong)} differ, first: {wrong[:10]}"
    assert page.problems == []


@pytest.mark.browser
def test_the_comparison_page_formats_with_the_same_rules(page, site_url: str) -> None:
    page.goto(site_url + "batches/compare.html")
    got = page.evaluate("[ZB.format.cost(0.99996), ZB.format.shortId('🎉'.repeat(14))]")
    assert got == [formats.cost(0.99996), formats.short_id("🎉" * 14)]
    assert page.problems == []
