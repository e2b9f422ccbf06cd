"""The live site of ``zebench serve``: rebuilt after writes and after outside changes,
reloaded in open pages, and never part of a site built for hosting."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from generator import serve
from generator.cli import main
from generator.serve import keys, live

KEY = "live-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def live_server(db: Path, out: Path) -> Iterator[httpx.Client]:
    options = serve.Options(db=db, out=out, port=0, keys=keys.Keys(write=KEY))
    with serve.running(options) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def until(check, seconds: float = 60.0) -> None:
    """Wait for *check()* to be true; fail after *seconds* (a bound, not a measure)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_a_site_built_for_hosting_holds_no_live_reload_code(built_site: Path) -> None:
    for path in built_site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".css", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "_zebench" not in text, path
            assert "EventSource" not in text, path


def test_the_server_adds_the_script_to_html_only(tmp_path: Path, site_db: Path) -> None:
    shutil.copyfile(site_db, tmp_path / "results.db")
    with live_server(tmp_path / "results.db", tmp_path / "site") as client:
        page = client.get("/")
        assert page.text.count(live.SCRIPT_PATH) == 1
        assert page.text.index(live.SCRIPT_PATH) < page.text.rindex("</body>")
        assert page.headers["cache-control"] == "no-cache"
        assert live.SCRIPT_PATH not in client.get("/static/site.js").text
        assert "EventSource" in client.get(live.SCRIPT_PATH).text
    assert "_zebench" not in (tmp_path / "site" / "index.html").read_text()


def test_inject_puts_the_script_before_the_last_body_end() -> None:
    html = b"<html><body><p>&lt;/body&gt;</p></body></html>"
    assert live.inject(html, 7) == (
        b'<html><body><p>&lt;/body&gt;</p><script src="/_zebench/live.js" data-build="7">'
        b"</script></body></html>"
    )


@pytest.mark.slow
def test_a_post_and_an_outside_record_both_rebuild_the_site(
    tmp_path: Path, site_db: Path, make_run
) -> None:
    db = tmp_path / "results.db"
    shutil.copyfile(site_db, db)
    with (
        live_server(db, tmp_path / "site") as client,
        client.stream("GET", live.EVENTS_PATH) as events,
    ):
        lines = events.iter_lines()
        assert [next(lines), next(lines)] == ["event: build", "data: 0"]
        assert client.post("/api/results", json=make_run("posted-run"), headers=AUTH).is_success
        assert [next(lines) for _ in range(3)][1:] == ["event: build", "data: 1"]
        until(lambda: client.get("/runs/posted-run.html").status_code == 200)
        # zebench record in another terminal: the watcher sees the file change.
        (tmp_path / "outside.json").write_text(httpx.Response(200, json=make_run("outside")).text)
        recorded = CliRunner().invoke(
            main, ["record", "--db", str(db), str(tmp_path / "outside.json")]
        )
        assert recorded.exit_code == 0, recorded.output
        assert [next(lines) for _ in range(3)][1:] == ["event: build", "data: 2"]
        assert client.get("/runs/outside.html").status_code == 200


@pytest.mark.slow
@pytest.mark.browser
def test_an_open_page_shows_a_posted_run_without_being_reloaded_by_hand(
    tmp_path: Path, site_db: Path, page, make_run
) -> None:
    shutil.copyfile(site_db, tmp_path / "results.db")
    with live_server(tmp_path / "results.db", tmp_path / "site") as client:
        page.goto(f"{client.base_url}agents/index.html")
        assert "agent-from-the-live-test" not in page.content()
        page.evaluate("window.zebenchTestMarker = 1")  # gone once the page reloads itself
        payload = make_run("live-browser-run", agent="agent-from-the-live-test")
        assert client.post("/api/results", json=payload, headers=AUTH).status_code == 201
        page.wait_for_selector("text=agent-from-the-live-test", timeout=60_000)
        assert page.evaluate("window.zebenchTestMarker") is None
    # The reload cuts the old page's event stream: the only request allowed to fail.
    assert [p for p in page.problems if not p.endswith(live.EVENTS_PATH)] == []
