"""The regressions page, the dashboard's regressions panel and the Atom feed
``regressions.xml`` (``queries.regressions``)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from generator.site import comparison_text as words
from generator.site import paths
from generator.site.pages import Page

PATH = "regressions.html"
FEED = "regressions.xml"
_EPOCH = "1970-01-01T00:00:00.000Z"


def rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the page and the panel show of each series' check."""
    return [
        {
            "series": e["series"],
            "status": e["status"],
            "batchId": e["batchId"],
            "href": f"batches/{paths.file_name(e['batchId'])}.html",
            "startedAt": e["startedAt"],
            "baseline": len(e["baselineBatchIds"]),
            "verdict": e["comparison"]["verdict"],
            "reason": e["comparison"]["verdictReason"],
            "change": words.points(e["comparison"]["successRateDelta"]),
            "interval": words.span(e["comparison"]["successRateDeltaCI"]),
            "p": words.p_value(e["comparison"]["pValue"]),
        }
        for e in entries
    ]


def page(entries: list[dict[str, Any]]) -> Page:
    """Every series' newest batch against the batches before it."""
    shown = rows(entries)
    return Page(
        path=PATH,
        template="regressions.html",
        title="Regressions",
        section="regressions",
        ctx={
            "regressions": [r for r in shown if r["status"] == "regression"],
            "over": [r for r in shown if r["status"] == "over tolerance"],
            "others": [r for r in shown if r["status"] == "other"],
        },
    )


def feed(entries: list[dict[str, Any]], base_url: str | None = None) -> tuple[str, bytes]:
    """The Atom feed of regressions and drops over the tolerance; its times come from the
    data (no clock), so the same results give the same bytes."""
    root = base_url or ""
    flagged = [r for r in rows(entries) if r["status"] != "other"]
    updated = max((r["startedAt"] or _EPOCH for r in flagged), default=_EPOCH)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "<title>zebench: regressions</title>",
        "<id>urn:zebench:regressions</id>",
        f"<updated>{escape(updated)}</updated>",
        f'<link rel="self" href={quoteattr(root + FEED)}/>',
        f'<link rel="alternate" href={quoteattr(root + PATH)}/>',
        "<author><name>zebench</name></author>",
    ]
    for r in flagged:
        kind = "Regression" if r["status"] == "regression" else "Over tolerance, not significant"
        lines += [
            "<entry>",
            f"<title>{escape(kind + ': ' + r['series'])}</title>",
            f"<id>{escape('urn:zebench:batch:' + r['batchId'])}</id>",
            f"<updated>{escape(r['startedAt'] or _EPOCH)}</updated>",
            f"<link href={quoteattr(root + r['href'])}/>",
            f"<summary>{escape(r['reason'])}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return FEED, ("\n".join(lines) + "\n").encode("utf-8")
