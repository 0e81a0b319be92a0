"""What each layer of a generated service's request path costs, in CPU microseconds per request.

Run inside a rendered service's environment (bench/run.py --layers does it for the default and
all-on renders), with the service's production settings in the environment:

    .venv/bin/python <template>/bench/layer_costs.py

Each figure is the process CPU time of many calls divided by their number, the median of five
rounds, measured in-process (no server, no socket, no client):

- each middleware of the service's stack alone, around an endpoint that answers at once;
- the whole application without its middleware (FastAPI's own middleware, routing, dependency
  resolution, the route and serialisation), for /health and for /users/me with the user read
  stubbed out;
- the access token's verification and the user read (asyncpg, RowReader), alone;
- the whole application, for both routes (the sum of its parts is close, not exact: layers share
  caches and the event loop).

The figures are reported, never asserted.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.getcwd())

ROUNDS = 5
PASSWORD = "quartz-otter-58-violet"

Call = Callable[[], Awaitable[Any]]


def cpu_microseconds(call: Call, count: int) -> float:
    """The median over ROUNDS of `count` calls' process CPU time per call, in microseconds."""

    async def rounds() -> list[float]:
        for _ in range(min(count, 200)):
            await call()
        figures = []
        for _ in range(ROUNDS):
            gc.collect()
            started = time.process_time()
            for _ in range(count):
                await call()
            figures.append((time.process_time() - started) / count * 1e6)
        return figures

    return round(statistics.median(asyncio.get_event_loop().run_until_complete(rounds())), 1)


def http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def request_call(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], application: Any = None
) -> Call:
    """`application` is what the scope names as the app (the FastAPI app around the middleware
    measured alone: middleware find the app's state there)."""
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def call() -> None:
        scope = {**http_scope(path, headers), "state": {}, "app": application or app}
        await app(scope, _receive, send)
        status = statuses.pop()
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")

    return call


async def _answer_at_once(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


def start_lifespan(app: Any, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Run the app's lifespan startup on `loop`, as a server would; returns what shuts it down."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"].endswith(".failed"):
            raise SystemExit(message.get("message", "startup failed"))

    async def start() -> asyncio.Future[Any]:
        await messages.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        task = asyncio.ensure_future(app(scope, messages.get, lifespan_send))
        await started.wait()
        return task

    lifespan = loop.run_until_complete(start())

    def stop() -> None:
        loop.run_until_complete(messages.put({"type": "lifespan.shutdown"}))
        loop.run_until_complete(lifespan)

    return stop


def main() -> None:
    from app.core.tokens import decode_access_token
    from app.main import app
    from app.services.identity_service import _USER_BY_ID

    count = int(os.environ.get("LAYER_COST_CALLS", "3000"))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The access line is written as in production, to a stream nobody reads.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - open for the whole run

    stop = start_lifespan(app, loop)
    token = loop.run_until_complete(_token(app))
    host = (b"host", b"127.0.0.1")
    authorised = [host, (b"authorization", f"Bearer {token}".encode()), (b"user-agent", b"wrk")]
    figures: dict[str, float] = {}

    for middleware in app.user_middleware:
        wrapped = middleware.cls(_answer_at_once, *middleware.args, **middleware.kwargs)
        figures[f"middleware {middleware.cls.__name__}"] = cpu_microseconds(
            request_call(wrapped, "/api/v1/users/me", authorised, app), count
        )
    figures["the access line alone (one log record)"] = cpu_microseconds(_log_once(), count)

    settings = app.state.settings
    secret = settings.SECRET_KEY.get_secret_value()

    async def verify() -> None:
        decode_access_token(token, secret_key=secret)

    figures["token verification (HS256 signature and the claim checks)"] = cpu_microseconds(
        verify, count
    )
    claims = decode_access_token(token, secret_key=secret)
    reader = app.state.row_reader
    user_id = uuid.UUID(claims.subject)

    async def read_user() -> None:
        await reader.first(_USER_BY_ID, user_id=user_id)

    figures["the user read (RowReader.first: asyncpg, one round trip)"] = cpu_microseconds(
        read_user, count
    )

    # The application without the service's middleware (FastAPI's own stays).
    stack = app.user_middleware
    app.user_middleware = []
    app.middleware_stack = None
    figures["application without middleware: GET /health"] = cpu_microseconds(
        request_call(app, "/health", [host]), count
    )
    identity = app.state.identity_service
    real_reader = identity._reader  # a benchmark's stub, nothing else

    class RowOnce:
        def __init__(self, row: dict[str, Any] | None) -> None:
            self.row = row

        async def first(self, statement: Any, **params: Any) -> dict[str, Any] | None:
            return self.row

    row = loop.run_until_complete(real_reader.first(_USER_BY_ID, user_id=user_id))
    identity._reader = RowOnce(row)
    cache_size = app.state.settings.ACCESS_TOKEN_CACHE_SIZE
    figures["application without middleware: GET /users/me, user read stubbed"] = cpu_microseconds(
        request_call(app, "/api/v1/users/me", authorised), count
    )
    identity._reader = real_reader
    figures["application without middleware: GET /users/me"] = cpu_microseconds(
        request_call(app, "/api/v1/users/me", authorised), count
    )
    app.user_middleware = stack
    app.middleware_stack = None
    identity._reader = RowOnce(row)
    figures["whole application: GET /users/me, user read stubbed"] = cpu_microseconds(
        request_call(app, "/api/v1/users/me", authorised), count
    )
    identity._reader = real_reader
    figures["whole application: GET /health"] = cpu_microseconds(
        request_call(app, "/health", [host]), count
    )
    figures[f"whole application: GET /users/me (ACCESS_TOKEN_CACHE_SIZE={cache_size})"] = (
        cpu_microseconds(request_call(app, "/api/v1/users/me", authorised), count)
    )

    stop()
    print(json.dumps(figures))


def _log_once() -> Call:
    logger = logging.getLogger("app.access")

    async def call() -> None:
        logger.info(
            "%s %s %d",
            "GET",
            "/api/v1/users/me",
            200,
            extra={
                "method": "GET",
                "path": "/api/v1/users/me",
                "status": 200,
                "duration_ms": 0.31,
                "client": "127.0.0.1",
            },
        )

    return call


async def _token(app: Any) -> str:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        name = f"layers{uuid.uuid4().hex[:8]}"
        user = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        (await client.post("/api/v1/auth/register", json=user)).raise_for_status()
        login = await client.post(
            "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
        )
        login.raise_for_status()
        return str(login.json()["access_token"])


if __name__ == "__main__":
    main()
