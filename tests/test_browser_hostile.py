"""A site built from results full of payloads, in a real browser: nothing injected runs.

Every text field of every run (ids, names, evaluator details, metadata, prompts…)
and of every batch holds a payload that would set ``window.__pwned``, open a
dialog or load something from another host if it ever ran. The results go in
through ``zebench record`` and ``zebench batch``, like a harness's. The test
visits every page, hovers the charts, drives the runs table and the batch
comparison with the hostile values, and checks that no script ran, no request
left the site, no element carries an event handler or a ``javascript:`` link,
and the payloads are on the pages as plain text.

NUL and other control characters are accepted by ``zebench record`` and stored
as they came; a browser drops NUL from page text, so text is compared without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urldefrag

import pytest
from click.testing import CliRunner
from conftest import build_site, serving

from generator.cli import main
from generator.site import paths

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "'><svg onload=window.__pwned=3>",
    "</script><script>window.__pwned=4</script>",
    "javascript:window.__pwned=5",
    '" onmouseover="window.__pwned=6" autofocus onfocus="window.__pwned=6" x="',
    "[x](javascript:window.__pwned=7) <b>bold</b> **md** <!-- c -->",
    '<a href="javascript:window.__pwned=8">link</a><br>',
    "{{ 7*7 }}{% if 1 %}jinja{% endif %}${7*7}",
    "\u202egnp.exe\u202c <iframe src=\"javascript:alert('9')\"></iframe>",
    'nul\x00ctl\x01\x07\x1b[31m\x7f <img src="http://evil.invalid/p.png">',
    "<style>body{background:url(http://evil.invalid/c)}</style><x onclick=alert(10)>",
]
BATCHES = 3


def hostile(k: int) -> str:
    return PAYLOADS[k % len(PAYLOADS)]


def judge(text: str) -> dict:
    return {
        "scores": [{"category": text, "score": 3, "reasoning": text}],
        "overall_assessment": text,
    }


def run(k: int) -> dict:
    p = hostile(k)
    return {
        "runId": f"run{k} {p}", "batchId": f"batch{k % BATCHES} {hostile(k % BATCHES)}",
        "suite": f"suite{k % 2} {hostile(k + 1)}", "scenario": f"scenario{k % 4} {hostile(k + 2)}",
        "tier": p, "agent": f"agent{k % 3} {hostile(k + 3)}", "model": f"model {p}",
        "status": "failed" if k % 3 == 0 else "completed",
        "startedAt": f"2025-10-{1 + k:02d}T10:00:00.000Z",
        "completedAt": f"2025-10-{1 + k:02d}T10:05:00.000Z",
        "totalScore": 0.1 * (k % 10), "weightedScore": float(k % 10), "isSuccessful": k % 2 == 0,
        "successMetric": 0.5, "specialistEnabled": True, "specialistName": p,
        "specialistVersion": p, "packageManager": p, "testResults": json.dumps({"name": p}),
        "metadata": {
            "error": p, "errorType": p,
            "diffSummary": [{"file": p, "changeType": p, "textPatch": f"--- a\n+++ b\n+{p}\n-{p}"}],
            "depsDelta": [{"packagePath": p, "section": p, "name": p, "from": p, "to": p}],
            "oracleQuestions": [{"question": p, "answer": p}],
            "testResults": json.dumps({"failed": [p]}), p: p,
        },
        "evaluations": [
            {"evaluatorName": f"LLMJudge {hostile(k % 3 + 4)}", "score": 0.5, "maxScore": 1,
             "details": judge(p)},
            {"evaluatorName": f"Plain {hostile(k % 3 + 7)}", "score": 1, "maxScore": 1,
             "details": p},
        ],
        "telemetry": {"toolCalls": 1, "tokensIn": 100, "tokensOut": 10, "costUsd": 0.01 * k,
                      "durationMs": 1000, "workspaceDir": p, "promptSent": p},
    }  # fmt: skip


def batch(b: int) -> dict:
    return {
        "batchId": f"batch{b} {hostile(b)}",
        "createdAt": 1760000000000 + b,
        "metadata": {"note": hostile(b + 6), hostile(b + 7): [hostile(b + 8)]},
    }


RUNS = [run(k) for k in range(len(PAYLOADS))]


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-browser")
    db, runs, batches = folder / "hostile.db", folder / "runs.jsonl", folder / "batches.jsonl"
    runs.write_text("\n".join(json.dumps(r) for r in RUNS))
    batches.write_text("\n".join(json.dumps(batch(b)) for b in range(BATCHES)))
    for command, source in (("record", runs), ("batch", batches)):
        result = CliRunner().invoke(main, [command, "--db", str(db), str(source)])
        assert result.exit_code == 0, result.output
    build_site(db, folder / "site")
    with serving(folder / "site", db) as url:
        yield url


def text(value: str) -> str:
    """*value* as a browser shows it: NUL dropped, runs of white space as one space."""
    return re.sub(r"\s+", " ", value.replace("\x00", "")).strip()


# Run in each page: every way an injected payload could show in the DOM.
DOM_CHECK = r"""() => {
  const bad = [];
  const links = /^(href|src|xlink:href|action|formaction|srcdoc|data|poster)$/;
  // Plotly draws <b> and <a> in chart text as markup: text from results must not become it.
  for (const el of document.querySelectorAll('svg a, svg tspan[style*="bold"]')) {
    bad.push('chart markup: ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('*')) {
    const foreign = ['IFRAME', 'OBJECT', 'EMBED', 'BASE', 'IMG', 'X'];
    if (foreign.includes(el.tagName)) bad.push(el.tagName);
    if (el.tagName === 'STYLE' && el.textContent.includes('evil')) bad.push('STYLE');
    if (el.tagName === 'SCRIPT' && !el.src && el.type !== 'application/json') bad.push('SCRIPT');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\s\x00-\x1f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(el.tagName + ' ' + name);
      // data:, is the layout's "no favicon" link; data:image/ Plotly's own icons
      if (links.test(name) && /^(javascript:|vbscript:|data:(?!,?$|image\/))/.test(value)) {
        bad.push(el.tagName + ' ' + name + '=' + a.value);
      }
    }
  }
  return {bad: bad, pwned: typeof window.__pwned};
}"""


def watch(page, base: str) -> None:
    """Also record any request that leaves the site."""
    page.on(
        "request",
        lambda r: r.url.startswith(base) or page.problems.append(f"request to {r.url}"),
    )


def check(page, where: str) -> None:
    if page.query_selector("#table-status"):  # its rows come from data files
        page.wait_for_selector("#table-status[data-count]")
    found = page.evaluate(DOM_CHECK)
    assert found == {"bad": [], "pwned": "undefined"}, where
    assert page.problems == [], where


def hover_charts(page) -> int:
    """Move the mouse across every chart, so Plotly draws hover labels from the data."""
    hovered = 0
    for slot in page.query_selector_all("[data-figure]"):
        page.wait_for_selector(f"#{slot.get_attribute('id')} .main-svg", timeout=10_000)
        slot.scroll_into_view_if_needed()
        box = slot.bounding_box()
        for step in range(1, 10):
            page.mouse.move(box["x"] + box["width"] * step / 10, box["y"] + box["height"] / 2)
        hovered += 1
    return hovered


def test_every_page_shows_the_payloads_as_text_and_runs_none(page, hostile_url: str) -> None:
    watch(page, hostile_url)
    seen: set[str] = set()
    queue = [hostile_url + "index.html"]
    hovered = 0
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        page.goto(url, wait_until="load")
        hovered += hover_charts(page)
        check(page, url)
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for link in links:
            target = urldefrag(link).url
            if target.startswith(hostile_url) and target.endswith(".html"):
                queue.append(target)
    run_pages = {hostile_url + f"runs/{paths.file_name(r['runId'])}.html" for r in RUNS}
    assert run_pages <= seen
    assert hovered >= 10
    assert len(seen) > len(RUNS) + BATCHES + 10  # lists, catalog, batch, scenario pages too


def test_a_run_page_shows_every_field_as_written(page, hostile_url: str) -> None:
    watch(page, hostile_url)
    for k in (0, 5, 7, 10, 11):
        payload = RUNS[k]
        page.goto(hostile_url + f"runs/{paths.file_name(payload['runId'])}.html")
        for summary in page.query_selector_all("details > summary"):
            summary.click()  # open the collapsed metadata, prompt and patches
        check(page, payload["runId"])
        body = text(page.inner_text("main"))
        for value in (
            payload["runId"],
            payload["agent"],
            payload["model"],
            payload["metadata"]["error"],
            payload["telemetry"]["promptSent"],
            payload["evaluations"][1]["details"],
        ):
            assert text(value) in body, (k, value)


def test_filtering_and_searching_the_runs_table_with_hostile_values(page, hostile_url: str) -> None:
    watch(page, hostile_url)
    page.goto(hostile_url + "runs/index.html")
    page.wait_for_selector("#table-status[data-count]")
    agents = page.eval_on_selector_all(
        "select[data-filter=agent] option", "os => os.map(o => o.value).filter(Boolean)"
    )
    assert sorted(text(a) for a in agents) == sorted({text(r["agent"]) for r in RUNS})
    for agent in agents:
        page.select_option("select[data-filter=agent]", agent)
        page.wait_for_function(
            "a => document.querySelector('#data-table tbody td:nth-child(6)')?.textContent === a",
            arg=agent,
        )
        shown = page.locator("#data-table tbody tr td:nth-child(6)").all_text_contents()
        assert set(shown) == {agent}
        check(page, agent)
    page.select_option("select[data-filter=agent]", "")
    for payload in PAYLOADS:
        page.fill("input[data-filter=q]", payload)
        page.wait_for_timeout(50)
        check(page, payload)
    # The filter lives in the URL: a link carrying a payload is inert too.
    page.fill("input[data-filter=q]", PAYLOADS[0])
    page.reload()
    page.wait_for_selector("#table-status[data-count]")
    assert page.input_value("input[data-filter=q]") == PAYLOADS[0]
    check(page, "reloaded with the search in the URL")


def test_comparing_hostile_batches(page, hostile_url: str) -> None:
    watch(page, hostile_url)
    page.goto(hostile_url + "batches/index.html")
    page.wait_for_selector("#data-table tbody input[type=checkbox]")
    boxes = page.locator("#data-table tbody input[type=checkbox]")
    for n in range(BATCHES):
        boxes.nth(n).check()
    page.click("#compare-picked")
    page.wait_for_selector("#compare-figures tbody tr")
    titles = page.eval_on_selector_all("#compare-figures thead a", "as => as.map(a => a.title)")
    assert sorted(titles) == sorted(batch(b)["batchId"] for b in range(BATCHES))
    assert page.locator("#compare-by-scenario tbody tr").count() >= 1
    check(page, "comparison")
    for link in page.locator("#compare-figures thead a").all():
        assert re.fullmatch(
            r"[^:]*/batches/[a-z0-9_][a-z0-9._-]*\.html", link.get_attribute("href")
        )
    page.goto(hostile_url + "index.html")  # a new load, not just a new hash
    page.goto(hostile_url + "batches/compare.html#b=" + ",".join(["%3Cscript%3E", "..%2F..%2Fx"]))
    assert "does not exist" in page.inner_text("main")
    check(page, "comparison link naming hostile batches")


def test_the_fixture_really_is_hostile(hostile_url: str, page) -> None:
    """The same payloads, placed in a page as HTML, do run: the checks above can fail."""
    page.goto(hostile_url + "index.html")
    page.evaluate("h => { document.querySelector('main').innerHTML = h; }", PAYLOADS[1])
    page.wait_for_function("() => window.__pwned === 2")
    assert page.evaluate(DOM_CHECK)["bad"]
