"""The HTTP API (FastAPI) over the store; ``eventcoder serve`` runs it with uvicorn.

GET routes read through per-thread read-only connections; POST /api/articles codes and stores one article
in a single transaction through the one write connection.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventcoder import __version__, queries, store
from eventcoder.errors import EventcoderError
from eventcoder.queries import EventFilter, QueryError
from eventcoder.settings import Settings, coder_fingerprint, load_settings
from eventcoder.types import Article, InputError


class ArticleIn(BaseModel):
    """One article, shaped like a line of JSONL input."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=200)
    text: str | None = None
    html: str | None = None
    title: str | None = Field(None, max_length=2000)
    date: dt.date | None = None
    url: str | None = Field(None, max_length=4000)


class EventQuery(BaseModel):
    """The /api/events query parameters, validated as one model (ten separate ones cost a quarter of the
    server's CPU per request)."""

    source: str | None = Field(None, description="Country (ISO-3) or actor-code prefix")
    target: str | None = Field(None, description="Country (ISO-3) or actor-code prefix")
    cameo: str | None = Field(None, description="CAMEO code prefix, e.g. 04 or 0231")
    plover: str | None = Field(None, description="PLOVER event type, e.g. REQUEST")
    status: str | None = Field(None, description=", ".join(queries.STATUSES))
    date_from: str | None = Field(None, description="YYYY-MM-DD")
    date_to: str | None = Field(None, description="YYYY-MM-DD")
    article_id: str | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=queries.MAX_PER_PAGE)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent.

    The body is read here, up to the limit, before the app sees it: FastAPI would turn an error raised
    while it reads the body into a 400.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await _too_large(self.limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body"],
                    "msg": f"request body is over the {limit:,}-byte limit",
                    "type": "too_large",
                }
            ]
        },
        status_code=413,
    )


class Store:
    """Connections for one database file: read-only ones per thread, one writer behind a lock."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path, self.settings = path, settings
        store.connect(path).close()  # create and migrate once, up front
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._writer: Any = None
        self._pipeline: Any = None
        self.coder = coder_fingerprint(settings)

    def reader(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = store.connect(self.path, readonly=True)
        return conn

    def code_and_store(self, article: Article) -> dict[str, Any]:
        from eventcoder.storing import code_and_store

        with self._write_lock:
            if self._pipeline is None:
                from eventcoder.pipeline import load_pipeline

                self._pipeline = load_pipeline(self.settings)
            if self._writer is None:
                self._writer = store.connect(self.path)
            return code_and_store(self._writer, self._pipeline, article, self.coder)


def _json(value: Any, status: int = 200) -> Response:
    """JSON from orjson, skipping FastAPI's validation of a plain dict (measured: a third of the CPU)."""
    return Response(orjson.dumps(value), status, media_type="application/json")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # A few threads serve SQLite reads faster than FastAPI's default 40, which mostly wait for the GIL.
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield


THREADS = 4


def create_app(db: str | Path, settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    st = Store(Path(db), settings)
    app = FastAPI(
        title="eventcoder",
        version=__version__,
        description="Coded news events, attributions and claims from an eventcoder store.",
        lifespan=_lifespan,
    )
    app.state.store = st

    @app.exception_handler(QueryError)
    async def on_query_error(request: Request, exc: QueryError) -> JSONResponse:
        detail = [{"loc": ["query", exc.field], "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e["loc"]), "field": ".".join(str(x) for x in e["loc"][1:]) or e["loc"][0],
             "msg": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]  # fmt: skip
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/api/articles", summary="Articles, newest first, or matching a full-text search")
    def articles(
        q: Annotated[str | None, Query(description="Words that must all appear", max_length=500)] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 20,
    ) -> Response:
        return _json(queries.list_articles(st.reader(), q, page, per_page))

    @app.get("/api/articles/{article_id}", summary="One article: text, events, attributions and claims")
    def article(article_id: str) -> Response:
        record = queries.get_article(st.reader(), article_id)
        if record is None:
            raise HTTPException(404, f"no article {article_id!r}")
        return _json(record)

    @app.post("/api/articles", status_code=201, summary="Code one article and store it")
    def post_article(body: Annotated[ArticleIn, Body()]) -> Response:
        item = _to_article(body, settings.max_article_bytes)
        if isinstance(item, InputError):
            field = "html" if body.html and not body.text else "text"
            raise HTTPException(422, [{"loc": ["body", field], "field": field, "msg": item.reason,
                                       "type": "value_error"}])  # fmt: skip
        return _json(st.code_and_store(item), 201)

    # Run on the event loop, not in a thread: a page takes 1-3 ms of SQLite with the indexes, and the thread
    # hand-offs cost more than that wait (at 50 clients, 2 processes: 890 req/s against 725).
    @app.get("/api/events", summary="Events, newest first, filtered")
    async def events(q: Annotated[EventQuery, Query()]) -> Response:
        f = EventFilter(q.source, q.target, q.cameo, q.plover, q.status, q.date_from, q.date_to, q.article_id)
        return _json(queries.list_events(st.reader(), f, q.page, q.per_page, raw=True))

    @app.get(
        "/api/dyads/{source}/{target}/timeline", summary="Counts per QuadClass and Goldstein per interval"
    )
    def dyad_timeline(
        source: str,
        target: str,
        interval: Annotated[str, Query(description="day, week or month")] = "month",
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Response:
        return _json(queries.timeline(st.reader(), source, target, interval, date_from, date_to))

    @app.get("/api/claims", summary="Claims (denies, disputes, confirms, repeats) and who makes them")
    def claims(
        relation: str | None = None,
        article_id: str | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50,
    ) -> Response:
        return _json(queries.list_claims(st.reader(), relation, article_id, page, per_page))

    @app.get("/api/clusters", summary="Real-world events: clusters of mentions across articles")
    def clusters(
        source: Annotated[str | None, Query(description="Source party (ISO-3 or actor code) prefix")] = None,
        target: Annotated[str | None, Query(description="Target party prefix")] = None,
        cameo: Annotated[str | None, Query(description="CAMEO code prefix")] = None,
        date_from: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
        min_mentions: Annotated[int, Query(ge=1, description="Only events reported this often")] = 1,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50,
    ) -> Response:
        args = (source, target, cameo, date_from, date_to, min_mentions, page, per_page)
        return _json(queries.list_clusters(st.reader(), *args))

    @app.get("/api/clusters/{cluster_id}", summary="One real-world event and its mentions")
    def cluster(cluster_id: int) -> Response:
        found = queries.get_cluster(st.reader(), cluster_id)
        if found is None:
            raise HTTPException(404, f"no cluster {cluster_id}")
        return _json(found)

    @app.get("/api/stats", summary="Row counts")
    def stats() -> Response:
        counts = queries.stats(st.reader())
        return _json({"version": __version__, "schema_version": store.SCHEMA_VERSION, **counts})

    from eventcoder.web import add_pages

    add_pages(app, st)
    limit = settings.max_article_bytes + 1_000_000  # the text, plus room for JSON escaping and metadata
    app.add_middleware(BodyLimit, limit=limit)
    return app


SEND_BUFFER = 1 << 20  # bytes; Linux doubles it and caps it at net.core.wmem_max


class ServeError(EventcoderError):
    """The server cannot start or keep running."""


def serve_app(app: FastAPI, host: str, port: int, access_log: bool) -> None:
    """Serve ``app`` in this process on host:port (see listening_socket)."""
    import uvicorn

    sock = listening_socket(host, port, reuse_port=False)
    config = uvicorn.Config(app, log_level="info", access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve_processes(host: str, port: int, workers: int, access_log: bool) -> None:
    """Run ``workers`` server processes, each with its own listening socket on host:port (SO_REUSEPORT).

    With one shared socket (uvicorn --workers), the process that wakes first accepts every connection
    waiting, so a burst of keep-alive clients lands mostly on one process and their requests queue there
    while the other idles (p50 30 ms, p90 150 ms at 50 clients). With a socket each, the kernel spreads
    connections over the processes. The caller sets what app_from_env reads. Ctrl-C or SIGTERM stops all;
    so does the death of any one.
    """
    import multiprocessing
    import multiprocessing.connection
    import signal

    # Refuse a port in use, even by another SO_REUSEPORT group, which the workers would silently join: a
    # socket without SO_REUSEPORT cannot bind there.
    listening_socket(host, port, reuse_port=False).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_serve_one, args=(host, port, access_log), daemon=True)
             for _ in range(workers)]  # fmt: skip
    for proc in procs:
        proc.start()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        multiprocessing.connection.wait([p.sentinel for p in procs])  # until one ends
    except KeyboardInterrupt:
        return
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(10)
    codes = [p.exitcode for p in procs]
    raise ServeError(f"a server process stopped (exit codes {codes}), so all were stopped")


def listening_socket(host: str, port: int, reuse_port: bool) -> Any:
    """A socket bound to host:port, whose connections get a send buffer of SEND_BUFFER bytes.

    A page of 50 events is about 75 kB. Linux starts a connection's send buffer at 16 kB and grows it
    per connection, so some connections needed several turns of the event loop to send each reply and
    stayed slower than others for the whole run (at 50 clients: p99 110 ms; with the buffer, 93 ms).
    """
    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)  # accepted sockets inherit it
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serve_one(host: str, port: int, access_log: bool) -> None:
    import uvicorn

    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config("eventcoder.api:app_from_env", factory=True, log_level="info",
                            access_log=access_log)  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])


def app_from_env() -> FastAPI:
    """The app for one of several server processes (``eventcoder serve --workers N`` sets the variables)."""
    import os

    config = os.environ.get("EVENTCODER_SERVE_CONFIG")
    return create_app(os.environ["EVENTCODER_SERVE_DB"], load_settings(Path(config) if config else None))


def _to_article(body: ArticleIn, max_bytes: int) -> Article | InputError:
    import orjson

    from eventcoder.stages.ingest import parse_json_record

    for name in ("text", "html"):
        size = len((getattr(body, name) or "").encode("utf-8"))
        if size > max_bytes:
            return InputError("request", f"{name} is {size:,} bytes, over the {max_bytes:,} limit")
    return parse_json_record(
        orjson.dumps(body.model_dump(mode="json", exclude_none=True)).decode(), "request"
    )
