"""Pure ASGI: security headers on every HTTP response, errors included.

A request that carries credentials (an Authorization header) gets `Cache-Control: no-store`
unless its endpoint chose a policy: what it returns belongs to that caller, and no shared or
browser cache may keep it.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API returns JSON: nothing may be framed, scripted or loaded from it.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS_VALUE = "max-age=63072000; includeSubDomains"

RawHeaders = list[tuple[bytes, bytes]]

_AUTHORIZATION = b"authorization"
_CACHE_CONTROL = b"cache-control"
_NO_STORE = (_CACHE_CONTROL, b"no-store")


def docs_content_security_policy(*inline_scripts: str, connect_to: tuple[str, ...] = ()) -> str:
    """The interactive docs' CSP: everything from this service, no other host but the origins
    of `connect_to` for the page's requests (an identity provider's discovery document and token
    endpoint, which the Authorize button fetches).

    Inline scripts run only if listed here (by hash). Inline styles are allowed: ReDoc writes its
    own <style> elements at run time; its search runs in a worker made from a blob: URL.
    """
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline_scripts
    )
    connect = "".join(f" {origin}" for origin in connect_to)
    return (
        f"default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self'{connect}; worker-src blob:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _raw(headers: dict[str, str]) -> RawHeaders:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


class SecurityHeadersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool,
        relaxed_csp_paths: tuple[str, ...] = (),
        vary_origin: bool = False,
    ) -> None:
        self.app = app
        self._relaxed_csp_paths = relaxed_csp_paths
        common = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
        }
        if hsts:
            common["Strict-Transport-Security"] = HSTS_VALUE
        if vary_origin:
            # Answers depend on Origin (CORS) even when a request has none: tell caches.
            common["Vary"] = "Origin"
        # Encoded once: this runs on every response.
        self._relaxed = _raw({**common, "Content-Security-Policy": docs_content_security_policy()})
        self._strict = _raw({**common, "Content-Security-Policy": API_CONTENT_SECURITY_POLICY})
        # Built once too: every authenticated request takes one of these.
        self._relaxed_private = [*self._relaxed, _NO_STORE]
        self._strict_private = [*self._strict, _NO_STORE]
        # Most responses set none of these headers themselves: all of ours are added at once.
        self._names = frozenset(name for name, _ in self._relaxed_private + self._strict_private)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Interactive docs load scripts and styles, from this service only; every other path gets
        # the strict CSP. A docs page with an inline script sets its own CSP, which is kept.
        relaxed = scope["path"].startswith(self._relaxed_csp_paths)
        if any(name == _AUTHORIZATION for name, _ in scope["headers"]):
            extra = self._relaxed_private if relaxed else self._strict_private
        else:
            extra = self._relaxed if relaxed else self._strict
        names = self._names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: RawHeaders = list(message.get("headers", ()))
                present = {name for name, _ in headers}
                if present.isdisjoint(names):
                    headers += extra
                else:
                    headers.extend(header for header in extra if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
