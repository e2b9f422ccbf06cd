"""The server's routes: the original Worker API over the results file, and the site.

    OPTIONS anything            204, CORS preflight (the Worker's headers)
    GET /health, /api/health    {"status":"ok"}
    GET /api/...                the read API, live (``queries.api``: the bytes of
                                ``zebench api``); a path it does not know that names
                                a file of the site (``api/runs.json``) is that file
    POST /api/results           one run payload     → 201 / 200 unchanged / 409 / 400
    POST /api/results/batch     one batch payload   → 201 / 200 updated or unchanged
    GET /_zebench/live.js, /_zebench/events         live reload (``live``)
    GET anything else           the built site, from --out

Every answer carries the Worker's CORS headers. Errors are JSON ``{"error": …}``;
an unexpected one is logged with its traceback and answered 500 without it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from generator.errors import (
    ConflictError,
    NotFoundError,
    ParameterError,
    ValidationError,
    ZebenchError,
)
from generator.queries import api
from generator.results.payloads import parse_document
from generator.serve import database, live
from generator.serve.keys import Keys

log = logging.getLogger("zebench.serve")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
    "Access-Control-Max-Age": "86400",
}


@dataclass
class State:
    """What the routes need; built by ``generator.serve`` for one server."""

    out: Path
    keys: Keys
    readers: database.Readers
    writer: database.Writer | None  # None: no key, no keyless writes: nothing is written
    max_body: int
    body_timeout: float
    builds: live.Builds | None = None  # None: no live reload (the site as hosted)
    rebuilder: live.Rebuilder | None = None


class Refused(Exception):
    """An answer other than success, raised from deep in a handler."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def reply(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer in the read API's one form."""
    return Response(api.dumps(data), status, headers, media_type="application/json")


def create_app(state: State, lifespan: Lifespan | None = None) -> ASGIApp:
    """The ASGI application for *state*; *lifespan* starts and stops what it runs."""
    routes = [
        Route("/health", _health, methods=["GET"]),
        Route("/api/health", _health, methods=["GET"]),
        Route("/api/results", _post_run, methods=["POST"]),
        Route("/api/results/batch", _post_batch, methods=["POST"]),
        Route("/api/{rest:path}", _read_api, methods=["GET"]),
        Route("/api/{rest:path}", _no_such_write, methods=["POST"]),
    ]
    if state.builds is not None:
        routes += [
            Route(live.SCRIPT_PATH, _live_script, methods=["GET"]),
            Route(live.EVENTS_PATH, _events, methods=["GET"]),
        ]
    site = Site(state)
    routes.append(Mount("/", site))
    app = Starlette(
        routes=routes,
        exception_handlers={
            Refused: _refused,
            HTTPException: _http_error,
            ZebenchError: _user_error,
            ClientDisconnect: _gone,
            Exception: _crashed,  # and _Gate logs it, with its traceback
        },
        lifespan=lifespan,
    )
    app.state.serve, app.state.site = state, site
    return _Gate(app, state.keys)


# Reads ----------------------------------------------------------------------


async def _health(request: Request) -> Response:
    return reply({"status": "ok"})


async def _read_api(request: Request) -> Response:
    state: State = request.app.state.serve
    # Still percent-encoded, as api.get wants it: an id may hold "/" as %2F.
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    path += f"?{request.url.query}" if request.url.query else ""
    try:
        text = await run_in_threadpool(state.readers.answer_text, path)
    except NotFoundError as exc:
        if request.url.query or not _site_file(state.out, request.url.path):
            raise Refused(404, str(exc)) from None
        return await request.app.state.site.get_response(
            request.url.path.lstrip("/"), request.scope
        )
    except ParameterError as exc:
        raise Refused(400, str(exc)) from None
    return Response(text, media_type="application/json")


def _site_file(out: Path, url_path: str) -> bool:
    relative = url_path.lstrip("/")
    return (
        relative.endswith(".json")
        and ".." not in relative.split("/")
        and (out / relative).is_file()
    )


class Site(StaticFiles):
    """The built site; HTML gets the reload script when the site is live, and
    nothing is cached without asking, so a reload shows the newest build."""

    def __init__(self, state: State) -> None:
        super().__init__(directory=state.out, html=True, check_dir=False)
        self.builds = state.builds

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if self.builds is not None and str(full_path).endswith(".html"):
            number = self.builds.number  # before reading: an older tag only reloads sooner
            try:
                html = Path(full_path).read_bytes()
            except OSError:  # replaced by a build between finding and reading it
                raise HTTPException(404) from None
            body = live.inject(html, number)
            headers = {"Cache-Control": "no-cache"}
            return Response(body, status_code, headers, media_type="text/html; charset=utf-8")
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


async def _live_script(request: Request) -> Response:
    return Response(live.LIVE_JS, media_type="text/javascript; charset=utf-8")


async def _events(request: Request) -> Response:
    builds = request.app.state.serve.builds
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(builds.stream(), headers=headers, media_type="text/event-stream")


# Writes ---------------------------------------------------------------------


async def _post_run(request: Request) -> Response:
    state, payload = await _write_request(request)
    run_id, summary = await state.writer.call(lambda conn: database.record_run(conn, payload))
    if summary.unchanged:
        return reply({"success": True, "runId": run_id, "unchanged": True})
    _written(state)
    return reply({"success": True, "runId": run_id}, 201)


async def _post_batch(request: Request) -> Response:
    state, payload = await _write_request(request)
    batch_id, summary = await state.writer.call(lambda conn: database.record_batch(conn, payload))
    if summary.unchanged:
        return reply({"success": True, "batchId": batch_id, "unchanged": True})
    _written(state)
    if summary.updated:
        return reply({"success": True, "batchId": batch_id, "updated": True})
    return reply({"success": True, "batchId": batch_id}, 201)


async def _no_such_write(request: Request) -> Response:
    raise Refused(
        404,
        f"no POST path {request.url.path}: results go to /api/results "
        "(one run) and /api/results/batch (one batch)",
    )


async def _write_request(request: Request) -> tuple[State, object]:
    """The server's state and the parsed body, once the key and the body pass."""
    state: State = request.app.state.serve
    refusal = state.keys.check_write(request.headers.get("authorization"))
    if refusal is not None:
        raise Refused(refusal.status, refusal.message, refusal.headers)
    assert state.writer is not None  # keys refuse every write when there is none
    body = await _body(request, state.max_body, state.body_timeout)
    return state, parse_document(database.WHERE, body)


async def _body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refused once it passes *limit* bytes or takes over *timeout* s."""
    too_large = Refused(413, f"the body is larger than {limit:,} bytes (--max-body)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise Refused(408, f"the body did not arrive within {timeout:g} s") from None
    return b"".join(chunks)


def _written(state: State) -> None:
    state.readers.changed()
    if state.rebuilder is not None:
        state.rebuilder.request()


# Errors ---------------------------------------------------------------------

_STATUS = {ValidationError: 400, ConflictError: 409, NotFoundError: 404, ParameterError: 400}


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return reply({"error": exc.message}, exc.status, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: f"nothing at {request.url.path}", 405: f"{request.method} is not allowed here"}
    return reply({"error": messages.get(exc.status_code, exc.detail)}, exc.status_code, exc.headers)


async def _user_error(request: Request, exc: Exception) -> Response:
    # A damaged or unwritable results file (StoreError) is the server's problem: 500.
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
    return reply({"error": str(exc)}, status)


async def _gone(request: Request, exc: Exception) -> Response:
    return Response(status_code=400)  # the client hung up: nobody reads this


async def _crashed(request: Request, exc: Exception) -> Response:
    # The traceback goes to the server's log (_Gate); the client gets none of it.
    return reply({"error": f"internal error ({type(exc).__name__}); see the server's log"}, 500)


class _Gate:
    """CORS on every answer, OPTIONS preflight, and the read key for GETs."""

    def __init__(self, app: ASGIApp, keys: Keys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            return await Response(status_code=204, headers=CORS_HEADERS)(scope, receive, send)
        if scope["method"] in ("GET", "HEAD") and scope["path"] not in ("/health", "/api/health"):
            headers = dict(scope["headers"])
            authorization = headers.get(b"authorization", b"").decode("latin-1") or None
            refusal = self.keys.check_read(authorization)
            if refusal is not None:
                answer = reply({"error": refusal.message}, refusal.status, refusal.headers)
                return await self._with_cors(answer)(scope, receive, send)

        answered = False

        async def send_with_cors(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode()) for k, v in CORS_HEADERS.items()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if not answered:
                raise
            # Answered 500 already (see _crashed): log it here rather than let uvicorn
            # drop the connection, which a keep-alive client would meet as a reset.
            log.exception("while answering %s %s", scope["method"], scope["path"])

    @staticmethod
    def _with_cors(response: Response) -> Response:
        response.headers.update(CORS_HEADERS)
        return response
