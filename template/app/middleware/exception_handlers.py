"""The exception handlers: every error leaves as JSON carrying the request id
(app/core/errors.py); stack traces go to the log only.

Validation errors list the fields at fault but never the values submitted (passwords!).
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import error_response, handle_dependency_unavailable
from app.db.reads import InvalidValueError

logger = logging.getLogger(__name__)

# Failures that mean "the database cannot be reached now", not "this request is wrong".
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)

# Values the database or its driver refused (PostgreSQL's class 22: NUL in text, a number out
# of range, ...; asyncpg's own DataError for an argument it cannot encode): the request is at
# fault. Schemas refuse them first; this is the net.
INVALID_VALUE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DataError,
    asyncpg.DataError,
    InvalidValueError,
)
# Underneath a driver error only: anywhere else a UnicodeEncodeError is a bug of ours.
_INVALID_VALUE_CAUSES = (*INVALID_VALUE_ERRORS, UnicodeEncodeError)


def sanitize_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Keep where and why a field failed; drop the submitted input and its context."""
    return [
        {
            "loc": [_encodable(part) for part in error["loc"]],
            "msg": _encodable(error["msg"]),
            "type": error["type"],
        }
        for error in errors
    ]


def _encodable(value: Any) -> Any:
    """A key the client sent (in `loc`) may hold an unpaired surrogate, which the UTF-8 response
    body cannot carry: it is escaped instead of turning the 422 into a 500."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


async def handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for that type only
        raise exc
    errors = sanitize_validation_errors(exc.errors())
    logger.info(
        "request validation failed",
        extra={"fields": [".".join(str(part) for part in e["loc"]) for e in errors]},
    )
    return error_response(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)


async def handle_invalid_value(request: Request, exc: Exception) -> JSONResponse:
    # One line, no traceback: anyone can send such a value, and it is not a fault of ours.
    logger.warning(
        "invalid value refused by the database on %s %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    # 400, documented on every operation with this body; a 422 is documented as field errors.
    return error_response(status.HTTP_400_BAD_REQUEST, "Invalid value")


def caused_by_invalid_value(exc: BaseException) -> bool:
    """Whether an error of SQLAlchemy's is an invalid value underneath: its asyncpg adapter
    wraps a driver DataError in a plain DBAPIError, the asyncpg exception as the cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _INVALID_VALUE_CAUSES):
            return True
        seen.add(id(current))
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    if caused_by_invalid_value(exc):
        return await handle_invalid_value(request, exc)
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error")


async def handle_http_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # registered for that type only
        raise exc
    return error_response(exc.status_code, exc.detail, exc.headers)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    for error_type in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, handle_dependency_unavailable)
    for error_type in INVALID_VALUE_ERRORS:
        app.add_exception_handler(error_type, handle_invalid_value)
    # Any other driver error: a 400 when an invalid value is underneath, else the 500 it was.
    app.add_exception_handler(sa_exc.DBAPIError, handle_database_error)
