"""The last net: an exception no handler took becomes a 500 JSON body carrying the request id
(app/core/errors.py); its stack trace goes to the log only."""

from __future__ import annotations

import logging

from fastapi import status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_response

logger = logging.getLogger(__name__)


class UnhandledErrorMiddleware:
    """Pure ASGI: turn an unhandled exception into a 500 JSON body, inside the request-id scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            response = error_response(
                status.HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error"
            )
            await response(scope, receive, send)
