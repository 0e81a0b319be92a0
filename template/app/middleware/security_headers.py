"""Pure ASGI: security headers on every HTTP response, errors included."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API returns JSON: nothing may be framed, scripted or loaded from it.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS_VALUE = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts: bool, relaxed_csp_paths: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self._relaxed_csp_paths = relaxed_csp_paths
        self._headers = [
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
        ]
        if hsts:
            self._headers.append(("Strict-Transport-Security", HSTS_VALUE))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Interactive docs load their own scripts and styles; every other path gets the strict CSP.
        strict_csp = not scope["path"].startswith(self._relaxed_csp_paths)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers:
                    headers.setdefault(name, value)
                if strict_csp:
                    headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
