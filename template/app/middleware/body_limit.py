"""Pure ASGI: refuse request bodies over MAX_REQUEST_BODY_BYTES with 413, before or while reading.

A declared Content-Length over the limit is refused before the app runs; a chunked body is
counted as it arrives and cut off at the limit, so no request can make the service buffer more.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_response

_CONTENT_LENGTH = b"content-length"
_TRANSFER_ENCODING = b"transfer-encoding"


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, streamed = _declared_length(scope)
        if declared is None:
            await error_response(400, "Invalid Content-Length header")(scope, receive, send)
            return
        if declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if not streamed:
            # The server enforces Content-Length, which is within the limit: nothing to count.
            await self.app(scope, receive, send)
            return

        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    await self._too_large(scope, receive, send)
                    # The app sees a client that went away and stops reading.
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, send_unless_refused)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, f"Request body larger than {self.max_bytes} bytes", {"Connection": "close"}
        )
        await response(scope, receive, send)


def _declared_length(scope: Scope) -> tuple[int | None, bool]:
    """(Content-Length, 0 when absent and None when invalid; whether the body is chunked)."""
    length: int | None = 0
    streamed = False
    for key, value in scope["headers"]:
        if key == _CONTENT_LENGTH:
            length = int(value) if value.isdigit() else None
        elif key == _TRANSFER_ENCODING:
            streamed = True
    return length, streamed
