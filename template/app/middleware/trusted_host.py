"""Pure ASGI: answer only for the host names in ALLOWED_HOSTS (400 JSON otherwise).

A Host header is the client's to write. Left unchecked, anything built from it (absolute URLs,
links in e-mails, cache keys of a proxy in front) points wherever the client says. Probes and
scrapes reach pods by address, so their paths are exempt.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.edge import host_allowed
from app.core.errors import error_response

_HOST = b"host"


class TrustedHostMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str], exempt_paths: list[str]) -> None:
        self.app = app
        self._allowed = frozenset(allowed_hosts)
        self._exempt = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._exempt:
            await self.app(scope, receive, send)
            return
        host = next((value for key, value in scope["headers"] if key == _HOST), b"")
        if not host_allowed(host.decode("latin-1"), self._allowed):
            await error_response(400, "Invalid host header")(scope, receive, send)
            return
        await self.app(scope, receive, send)
