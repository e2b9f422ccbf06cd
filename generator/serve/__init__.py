"""``zebench serve``: the original Worker API and the report site, live, in one process.

check the keys (``keys``) → create the results file if there is none → build
the site if there is none → listen → uvicorn runs the Starlette app (``app``)
→ POSTs go through one writer thread (``database``); after each, and whenever
  the file changes from outside, the site is rebuilt and open pages reload (``live``)
→ SIGTERM or Ctrl-C: no new connections, the requests in flight finish, the
  build in progress finishes, then the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import uvicorn

from generator import store
from generator.build import MARKER
from generator.errors import ServeError
from generator.serve import app as routes
from generator.serve import database, keys, live

Log = Callable[[str], None]
DEFAULT_PORT = 8787  # the original Worker's, so its clients need no setting
MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Options:
    """How to serve: what, where, with which keys and limits."""

    db: Path
    out: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    keys: keys.Keys = field(default_factory=keys.Keys)
    max_body: int = MAX_BODY
    body_timeout: float = 30.0  # seconds for a request body to arrive whole
    live: bool = True  # rebuild after changes and reload open pages


def run(options: Options, log: Log) -> None:
    """Serve until SIGTERM or Ctrl-C; *log* gets the start-up notes and rebuilds."""
    prepare(options, log)
    sock = bind(options.host, options.port)
    server = _Server(*_config(options, log))
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Serving {options.out}/ and the results API at http://{shown}:{port}/ (Ctrl-C stops)",
        flush=True,
    )
    for note in notes(options):
        log(note)
    server.run(sockets=[sock])


@contextlib.contextmanager
def running(options: Options, log: Log = lambda message: None) -> Iterator[str]:
    """Serve from a thread of this process (tests, the bench); yields the base URL."""
    prepare(options, log)
    sock = bind(options.host, options.port)
    server = _Server(*_config(options, log))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise ServeError("the server stopped while starting; see the messages above")
            threading.Event().wait(0.01)
        yield f"http://{options.host}:{sock.getsockname()[1]}/"
    finally:
        server.handle_exit(0, None)
        thread.join()
        sock.close()


def prepare(options: Options, log: Log) -> None:
    """Create the results file and build the site, when there is none yet."""
    if not options.db.exists():
        store.init(options.db)
        log(f"created an empty results file at {options.db}")
    if (options.out / "index.html").is_file():
        return
    if options.out.is_dir() and any(options.out.iterdir()) and not (options.out / MARKER).exists():
        raise ServeError(
            f"no site in {options.out}, and it is a folder 'zebench build' did not make: "
            "choose another --out (the site is built there)"
        )
    from generator import build  # here, before any thread of the server starts: it forks

    log(f"no site in {options.out}/ yet: building it")
    result = build.build(options.db, options.out)
    log(f"built {result.pages:,} pages in {result.seconds:.1f} s")


def notes(options: Options) -> list[str]:
    """What a user must know about the keys and the address, said at start."""
    said = []
    if options.keys.write is None and not options.keys.keyless_writes:
        said.append(
            f"No API key is set: the server answers reads and refuses writes (403). Set "
            f"{keys.KEY_VARIABLE}=<key> or --api-key-file FILE to take results."
        )
    elif options.keys.keyless_writes:
        said.append("Writes need no key (--allow-unauthenticated-writes): loopback only.")
    if not keys.is_loopback(options.host):
        said.append(
            f"Warning: listening on {options.host}: traffic, API keys included, is not "
            "encrypted. Put an HTTPS proxy in front before exposing it beyond this network."
        )
    return said


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on *host*:*port* (0 picks a free port); connections wait
    in its queue until the server takes them, so the address works once printed."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); try --port"
        ) from None
    return sock


def _config(options: Options, log: Log) -> tuple[uvicorn.Config, routes.State]:
    writes = options.keys.write is not None or options.keys.keyless_writes
    state = routes.State(
        out=options.out,
        keys=options.keys,
        readers=database.Readers(options.db),
        writer=database.Writer(options.db) if writes else None,
        max_body=options.max_body,
        body_timeout=options.body_timeout,
        builds=live.Builds() if options.live else None,
    )
    app = routes.create_app(state, lifespan=_lifespan(state, options, log))
    config = uvicorn.Config(
        app,
        log_level="warning",  # errors and their tracebacks; no line per request
        access_log=False,
        timeout_keep_alive=5,  # an idle connection is closed after this
        timeout_graceful_shutdown=60,  # the longest a write in flight may take to finish
        lifespan="on",
    )
    return config, state


def _lifespan(state: routes.State, options: Options, log: Log):
    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        if state.builds is not None:
            loop = asyncio.get_running_loop()
            builds = state.builds
            state.rebuilder = live.Rebuilder(
                options.db, options.out, lambda: loop.call_soon_threadsafe(builds.announce), log
            )
            state.rebuilder.start()
        try:
            yield
        finally:  # every request has finished by now: uvicorn waited for them
            if state.rebuilder is not None:
                state.rebuilder.close()
            if state.writer is not None:
                state.writer.close()
            log("stopped: every request in flight was answered")

    return lifespan


class _Server(uvicorn.Server):
    """uvicorn's server, ending the live-reload streams when asked to stop, so that
    a graceful shutdown waits only for real requests."""

    def __init__(self, config: uvicorn.Config, state: routes.State) -> None:
        super().__init__(config)
        self.state = state

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.state.builds is not None:
            self.state.builds.stopping = True
        super().handle_exit(sig, frame)
