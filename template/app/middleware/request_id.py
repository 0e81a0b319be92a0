"""Pure ASGI: give every request an id, echo it in the response and in every log record."""

from __future__ import annotations

import os
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.request_context import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# An inbound id is reused only when it cannot inject anything into logs or headers.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _inbound_request_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_HEADER_KEY, request_id.encode("latin-1"))

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)


def _inbound_request_id(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY:
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None
