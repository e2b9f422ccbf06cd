"""A comparison (``queries.comparison``) as plain text or as GitHub markdown.

The markdown is made for ``$GITHUB_STEP_SUMMARY`` and a pull-request comment: the
verdict first, a table of the figures, then collapsed sections for the per-cell
table, the flaky cells and the method. Names from results are escaped, so a
scenario called ``a|b<script>`` cannot break the table or inject HTML.
"""

from __future__ import annotations

from typing import Any

DOCS = "docs/statistics.md"
# The first line of the markdown: how a CI job finds its pull-request comment again.
MARKER = "<!-- zebench-compare -->"
VERDICT_MARK = {
    "regression": "🔴",
    "improvement": "🟢",
    "no significant change": "⚪",
    "inconclusive": "🟡",
}


def md(value: Any) -> str:
    """*value* as text safe in a markdown table cell and in HTML."""
    text = "—" if value is None else str(value)
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "\\`")):
        text = text.replace(old, new)
    return " ".join(text.split())


def pct(rate: float | None) -> str:
    """A rate as a percentage with one decimal."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def span(interval: list[float] | None, scale: float = 100.0, digits: int = 1) -> str:
    """An interval as (low–high), scaled (rates to points)."""
    if interval is None:
        return ""
    low, high = (round(v * scale, digits) for v in interval)
    return f" ({low:g}–{high:g})"


def points(delta: float | None) -> str:
    """A rate difference in signed percentage points."""
    return "—" if delta is None else f"{delta * 100:+.1f} pts"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def p_value(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3g}"


def ratio(value: float | None, interval: list[float] | None) -> str:
    if value is None:
        return "—"
    shown = f"×{value:.2f}"
    return shown if interval is None else f"{shown} [{interval[0]:.2f}, {interval[1]:.2f}]"


def side_rate(side: dict[str, Any]) -> str:
    """82.5% (71–90), 33/40 runs."""
    counts = f"{side['successfulRuns']}/{side['runsWithKnownSuccess']}"
    return f"{pct(side['successRate'])}{span(side['successRateCI'])}, {counts}"


def side_score(side: dict[str, Any]) -> str:
    return f"{number(side['meanScore'])}{span(side['meanScoreCI'], 1.0, 2)}"


def headline(result: dict[str, Any]) -> str:
    """The verdict line: what was decided and why."""
    return f"{result['verdict'].capitalize()}: {result['verdictReason']}"


def metric_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, base, candidate, change) rows of the figures table."""
    base, cand = result["base"], result["candidate"]
    rate_change = (
        f"{points(result['successRateDelta'])}{_bracket(result['successRateDeltaCI'])}, "
        f"p = {p_value(result['pValue'])}"
    )
    score_change = (
        f"{number(result['scoreDelta'])}{_bracket(result['scoreDeltaCI'], 1.0, 2)}, "
        f"p = {p_value(result['scorePValue'])}"
    )
    return [
        ("Runs", str(base["runs"]), str(cand["runs"]), ""),
        ("Success rate", side_rate(base), side_rate(cand), rate_change),
        ("Mean weighted score (0–10)", side_score(base), side_score(cand), score_change),
        ("Cost", "", "", ratio(result["costRatio"], result["costRatioCI"])),
        ("Duration", "", "", ratio(result["durationRatio"], result["durationRatioCI"])),
    ]


def _bracket(interval: list[float] | None, scale: float = 100.0, digits: int = 1) -> str:
    if interval is None:
        return ""
    low, high = (round(v * scale, digits) for v in interval)
    return f" [{low:+g}, {high:+g}]"


def method_lines(result: dict[str, Any]) -> list[str]:
    """How the verdict was reached, one sentence a line."""
    lines = [
        f"Method: {result['method']} over {result['pairedCells']} paired cells "
        f"(tolerance {result['tolerance'] * 100:g} points, alpha {result['alpha']:g}).",
        f"Power: {result['power']}.",
    ]
    if result["note"]:
        lines.append(f"Note: {result['note']}.")
    return lines


def cell_rows(result: dict[str, Any]) -> list[tuple[str, ...]]:
    """Per paired cell: suite, scenario, tier, base, candidate, change, p, q, flag."""
    return [
        (
            md(row["suite"]),
            md(row["scenario"]),
            md(row["tier"]),
            f"{row['base']['successfulRuns']}/{row['base']['runsWithKnownSuccess']}",
            f"{row['candidate']['successfulRuns']}/{row['candidate']['runsWithKnownSuccess']}",
            points(row["successRateDelta"]),
            p_value(row["pValue"]),
            p_value(row["qValue"]),
            "flagged" if row["flagged"] else "",
        )
        for row in result["cells"]
    ]


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _flaky_rows(result: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            side,
            md(cell["suite"]),
            md(cell["scenario"]),
            md(cell["tier"]),
            f"{cell['successfulRuns']}/{cell['runsWithKnownSuccess']}",
            f"{cell['disagreement']:.2f}",
        )
        for side in ("base", "candidate")
        for cell in result["flaky"][side]["cells"]
    ]


def markdown(result: dict[str, Any]) -> str:
    """The comparison as GitHub markdown (step summary, PR comment)."""
    base, cand = result["base"], result["candidate"]
    mark = VERDICT_MARK.get(result["verdict"], "")
    lines = [
        MARKER,
        f"### {mark} {md(headline(result))}",
        "",
        f"Base `{md(base['label'])}` → candidate `{md(cand['label'])}`",
        "",
        *_table(("Metric", "Base", "Candidate", "Change"), metric_rows(result)),
        "",
        f"<details><summary>Per cell: {len(result['cells'])} paired, "
        f"{sum(row['flagged'] for row in result['cells'])} flagged at q ≤ 0.10</summary>",
        "",
        *_table(
            ("Suite", "Scenario", "Tier", "Base", "Candidate", "Change", "p", "q", ""),
            cell_rows(result),
        ),
        "",
        "</details>",
        "",
        f"<details><summary>Flaky cells: {len(_flaky_rows(result))}</summary>",
        "",
        *_table(
            ("Side", "Suite", "Scenario", "Tier", "Successes", "Disagreement"), _flaky_rows(result)
        ),
        "",
        "</details>",
        "",
        "<details><summary>Method</summary>",
        "",
        *[md(line) for line in method_lines(result)],
        "",
        f"See `{DOCS}` (paired comparison, Benjamini–Hochberg, flakiness).",
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def text(result: dict[str, Any]) -> str:
    """The comparison as plain text for a terminal."""
    base, cand = result["base"], result["candidate"]
    lines = [headline(result), f"base {base['label']} → candidate {cand['label']}", ""]
    for name, b, c, change in metric_rows(result):
        lines.append(f"{name}: {b or '·'} → {c or '·'}" + (f"  [{change}]" if change else ""))
    lines += ["", *method_lines(result)]
    flagged = [row for row in result["cells"] if row["flagged"]]
    if flagged:
        lines += ["", "Cells flagged (q ≤ 0.10):"]
        lines += [
            f"  {r['suite']} / {r['scenario']} / {r['tier']}: {points(r['successRateDelta'])}, "
            f"q = {p_value(r['qValue'])}"
            for r in flagged
        ]
    return "\n".join(lines) + "\n"
