"""Pure ASGI: one access line per HTTP request, with its status and duration, and the request
observers (app/core/hooks.py) told of the same request with the same duration.

It replaces uvicorn's access line (app/core/logging.py turns that one off) and runs inside
RequestIdMiddleware, so the line carries the request id like every other record of the request.
The path is logged without its query string: tokens and personal data travel there. Observers
(request metrics) ride on this layer's clock and status instead of wrapping the stack again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.hooks import RequestObserver

logger = logging.getLogger("app.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, observers: Sequence[RequestObserver] = ()) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        log = logger.isEnabledFor(logging.INFO)
        if not log and not self.observers:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # A response that never started is a failure, whatever the reason (the client may also
        # have gone away): counted as a 500 unless the app answered.
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            seconds = time.perf_counter() - started
            if log:
                _write_line(scope, status, seconds)
            for observe in self.observers:
                observe(scope, status, seconds)


def _write_line(scope: Scope, status: int, seconds: float) -> None:
    method: str = scope["method"]
    path: str = scope["path"]
    client = scope.get("client")
    logger.info(
        "%s %s %d",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client[0] if client else None,
        },
    )
