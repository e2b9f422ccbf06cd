"""The site's decisions: batch pages compare with the previous comparable batch (the
numbers of ``zebench compare``), incremental builds follow the previous batch, and the
methods page holds the sections intervals link to."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HOSTILE, tree
from test_changes import record

from generator import build
from generator.build import changes
from generator.cli import main
from generator.queries import comparison
from generator.results import demo
from generator.site import comparison_text, paths

CLAUDE = ("update-deps", "claude-code", "claude-sonnet-4-5-20250929")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("decide")
    db = root / "demo.db"
    demo.write_demo(db)
    site = root / "site"
    build.build(db, site)
    return db, site


def _series(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        return comparison.series(conn)
    finally:
        conn.close()


@pytest.mark.slow
def test_batch_page_shows_the_numbers_of_zebench_compare(demo_site):
    db, site = demo_site
    base, cand = _series(db)[CLAUDE][-2:]
    out = CliRunner().invoke(main, ["compare", "--db", str(db), "--format", "json", base, cand])
    result = json.loads(out.stdout)
    page = (site / "batches" / f"{paths.file_name(cand)}.html").read_text(encoding="utf-8")
    section = page[page.index('id="comparison"') :]
    assert 'class="verdict verdict-regression"' in section
    assert html.escape(result["verdictReason"]) in section
    for name, base_text, cand_text, change in comparison_text.metric_rows(result):
        row = f"<td>{html.escape(name)}</td><td>{html.escape(base_text)}</td>"
        assert row + f"<td>{html.escape(cand_text)}</td><td>{html.escape(change)}</td>" in section
    qs = re.findall(r'<td class="num">([^<]*)</td></tr>', section)
    assert qs[: len(result["cells"])] == [
        comparison_text.p_value(c["qValue"]) for c in result["cells"]
    ]
    assert f"zebench compare {base} {cand}" in section
    assert "methods/statistics.html#comparing-two-sets-of-runs" in section


@pytest.mark.slow
def test_methods_page_has_the_sections_pages_link_to(demo_site):
    _, site = demo_site
    page = (site / "methods" / "statistics.html").read_text(encoding="utf-8")
    for anchor in ("wilson-interval", "cluster-robust-interval", "comparing-two-sets-of-runs"):
        assert f'id="{anchor}"' in page


@pytest.mark.slow
def test_a_change_to_the_previous_batch_renders_the_next_one_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1761955200")
    db = tmp_path / "demo.db"
    demo.write_demo(db)
    site = tmp_path / "site"
    build.build(db, site)
    base, cand = _series(db)[CLAUDE][-2:]
    conn = sqlite3.connect(db)
    runs = changes.run_fingerprints(conn, "ctx")
    before = changes.batch_fingerprints(conn, "ctx", runs)
    conn.close()
    # One more failed run in the base batch, in a cell both batches ran.
    extra = next(demo.iter_run_payloads(1, seed=5))
    when = {"startedAt": "2025-10-19T19:00:00.000Z", "completedAt": "2025-10-19T19:05:00.000Z"}
    extra.update(batchId=base, suite="update-deps", scenario="nx-pnpm-monorepo", tier="L1",
                 agent=CLAUDE[1], model=CLAUDE[2], status="failed", isSuccessful=False,
                 **when)  # fmt: skip
    record(db, tmp_path, [extra])
    conn = sqlite3.connect(db)
    runs = changes.run_fingerprints(conn, "ctx")
    after = changes.batch_fingerprints(conn, "ctx", runs)
    conn.close()
    assert {b for b in after if after[b] != before.get(b)} == {base, cand}
    build.build(db, site)
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    build.build(db, full)
    assert tree(site) == tree(full)


@pytest.mark.slow
def test_regressions_page_panel_and_feed(demo_site):
    _, site = demo_site
    page = (site / "regressions.html").read_text(encoding="utf-8")
    assert "claude-code · claude-sonnet-4-5-20250929 · update-deps" in page
    assert 'type="application/atom+xml"' in page
    panel = (site / "index.html").read_text(encoding="utf-8")
    panel = panel[panel.index('id="regressions"') :]
    assert "claude-sonnet-4-5-20250929" in panel[: panel.index("</section>")]
    ET.fromstring((site / "regressions.xml").read_bytes())


@pytest.mark.parametrize("name", [HOSTILE, "a]]>b<![CDATA[", "x & y"])
def test_feed_is_valid_xml_with_names_escaped(name):
    from generator.site.pages import regressions as regression_pages

    check = {
        "series": name, "status": "regression", "batchId": name, "startedAt": None,
        "baselineBatchIds": ["b1"],
        "comparison": {"verdict": "regression", "verdictReason": name,
                       "successRateDelta": -0.5, "successRateDeltaCI": [-0.7, -0.2],
                       "pValue": 0.01},
    }  # fmt: skip
    path, data = regression_pages.feed([check])
    root = ET.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = root.find("a:entry", ns)
    assert path == "regressions.xml"
    assert entry.find("a:title", ns).text == f"Regression: {name}"
    assert entry.find("a:summary", ns).text == name
    assert regression_pages.feed([check]) == (path, data)  # no clock
