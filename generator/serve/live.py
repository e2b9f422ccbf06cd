"""A site that follows the results file: rebuild after changes, reload open pages.

    a write through the server, or the file changing from outside (watchfiles,
    the file and its -wal) → ``Rebuilder.request()``
    → after a short pause that gathers a burst of writes, one build at a time
      (``zebench build``: incremental, and a failed one leaves the last site)
    → ``Builds.announce()``: the build number goes up
    → every open page hears it on ``/_zebench/events`` (Server-Sent Events)
      and reloads itself when the number differs from the one it was served with.

The reload script exists only in what the server sends: ``inject`` adds it to
HTML responses, so a site built for hosting carries no trace of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import watchfiles

Log = Callable[[str], None]
EVENTS_PATH = "/_zebench/events"
SCRIPT_PATH = "/_zebench/live.js"
DEBOUNCE_S = 0.2  # a burst of writes closer together than this makes one build
HEARTBEAT_S = 15.0  # a comment on the event stream, so dead connections are noticed
BUILD_NICENESS = 10

LIVE_JS = f"""\
// zebench serve: reload this page once the site it shows has been rebuilt.
(function () {{
  var script = document.currentScript;
  var shown = script && script.getAttribute("data-build");
  if (!window.EventSource || shown === null) return;
  var events = new EventSource("{EVENTS_PATH}");
  events.addEventListener("build", function (event) {{
    if (event.data !== shown) {{
      events.close();
      window.location.reload();
    }}
  }});
}})();
"""


def inject(html: bytes, build: int) -> bytes:
    """*html* with the reload script, tagged with the build it belongs to, before </body>."""
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build}"></script>'.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


class Builds:
    """The number of the site being served; pages wait on it for a newer one."""

    def __init__(self) -> None:
        self.number = 0
        self.stopping = False  # set when the server shuts down: streams end
        self._changed = asyncio.Event()

    def announce(self) -> None:
        """A new site is in place (call in the event loop)."""
        self.number += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def stream(self) -> AsyncIterator[str]:
        """Server-Sent Events: the current build number now, then each new one."""
        sent: int | None = None
        quiet = 0.0
        while not self.stopping:
            if self.number != sent:
                sent = self.number
                yield f"event: build\ndata: {sent}\n\n"
                quiet = 0.0
            elif quiet >= HEARTBEAT_S:
                yield ": still here\n\n"
                quiet = 0.0
            changed = self._changed
            if self.number == sent:
                # Wake up once a second at most, so a shutdown ends the stream promptly.
                try:
                    await asyncio.wait_for(changed.wait(), 1.0)
                except TimeoutError:
                    quiet += 1.0


class Rebuilder:
    """Rebuilds the site when asked, in a thread: debounced, never two builds at once."""

    def __init__(self, db: Path, out: Path, announce: Callable[[], None], log: Log) -> None:
        self.db, self.out = db, out
        self._announce = announce
        self._log = log
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._build: subprocess.Popen | None = None
        self._threads = [
            threading.Thread(target=self._builds, name="zebench-rebuild", daemon=True),
            threading.Thread(target=self._watch, name="zebench-watch", daemon=True),
        ]

    def start(self) -> None:
        """Start building on request and watching the results file."""
        for thread in self._threads:
            thread.start()

    def request(self) -> None:
        """Ask for a build (thread-safe); requests during a build make one more after it."""
        self._wanted.set()

    def close(self) -> None:
        """Stop watching; let a build in progress finish, then stop."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _builds(self) -> None:
        while not self._stop.is_set():
            if not self._wanted.wait(0.5):  # look at the stop event twice a second
                continue
            time.sleep(DEBOUNCE_S)
            if self._stop.is_set():
                return
            self._wanted.clear()
            if self._run_build():
                self._announce()

    def _run_build(self) -> bool:
        # A child process, not build() in a thread: the build forks worker processes,
        # which must not happen while this server's other threads hold locks.
        started = time.perf_counter()
        command = [sys.executable, "-m", "generator", "build", "--db", str(self.db)]
        self._build = subprocess.Popen(
            [*command, "--out", str(self.out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        # Answering requests comes first; the build takes the time they leave.
        # Set while the child is still starting, so the workers it forks inherit it.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self._build.pid, BUILD_NICENESS)
        _, errors = self._build.communicate()
        if self._build.returncode != 0:
            reason = errors.strip().splitlines()[-1:] or [f"exit {self._build.returncode}"]
            self._log(f"rebuild failed, the last site stays: {reason[0]}")
            return False
        self._log(f"site rebuilt in {time.perf_counter() - started:.1f} s")
        return True

    def _watch(self) -> None:
        """Ask for a build whenever the results file or its write-ahead log changes."""
        names = {self.db.name, self.db.name + "-wal"}
        for _ in watchfiles.watch(
            self.db.parent,
            watch_filter=lambda change, path: Path(path).name in names,
            recursive=False,
            debounce=100,
            step=50,
            rust_timeout=500,  # how often the stop event is looked at
            stop_event=self._stop,
        ):
            self.request()
