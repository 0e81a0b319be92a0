"""Starlette's CORS middleware, skipped for requests that carry no Origin header.

Same-origin and server-to-server calls (probes, scrapes, other services) are most of the
traffic; they need no CORS work. `Vary: Origin` still goes on every response, from
SecurityHeadersMiddleware, so caches keep CORS and non-CORS answers apart.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.types import Receive, Scope, Send

_ORIGIN = b"origin"


class CORSMiddleware(StarletteCORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(key == _ORIGIN for key, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
