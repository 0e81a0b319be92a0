"""The error shape every response shares, and the helpers any layer uses to answer with it.

A body is `{"detail": ..., "request_id": ...}`; a backing service that cannot be reached (the
database, Redis, the task queue) is a 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse

from app.core.request_context import request_id_var

logger = logging.getLogger(__name__)


class DependencyDownError(Exception):
    """A backing service is down for a reason the code that found out has already logged in one
    line: readiness reports it without a traceback, which a probe every few seconds would
    repeat for as long as the outage lasts."""


def error_response(
    status_code: int, detail: Any, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"detail": detail, "request_id": request_id_var.get()},
        headers=dict(headers) if headers else None,
    )


def credentials_error(detail: str = "Could not validate credentials") -> HTTPException:
    """401 with a plain bearer challenge: no token, or one the service's own checks refused."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def service_unavailable_response(retry_after_seconds: int = 5) -> JSONResponse:
    """503 with Retry-After: the request was fine, a backing service is not reachable now."""
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "Service temporarily unavailable",
        {"Retry-After": str(retry_after_seconds)},
    )


async def handle_dependency_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("dependency unavailable: %s", type(exc).__name__, exc_info=exc)
    return service_unavailable_response()
