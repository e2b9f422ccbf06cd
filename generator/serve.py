"""``zebench serve``: the built site over HTTP on this machine only."""

from __future__ import annotations

import functools
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.errors import ServeError


class _Quiet(SimpleHTTPRequestHandler):
    """Serves files without a line per request on stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def server(out: str | os.PathLike[str], port: int = 8000, host: str = "127.0.0.1"):
    """An HTTP server for the site in *out*, bound to *host*:*port* (0 picks a free port)."""
    root = Path(out)
    if not (root / "index.html").is_file():
        raise ServeError(f"no site in {root}: build it first with 'zebench build --out {root}'")
    handler = functools.partial(_Quiet, directory=str(root))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror}); try --port") from None
