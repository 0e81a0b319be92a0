"""Response helpers for routes: the error responses declared in the OpenAPI document (each written
once), the 401 a route raises, and the headers of responses that carry credentials."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Response, status
from fastapi.exceptions import RequestValidationError

from app.schemas.error import ErrorResponse
from app.schemas.password import PasswordPolicyError

Responses = dict[int | str, dict[str, Any]]


def error(status_code: int, description: str) -> Responses:
    return {status_code: {"model": ErrorResponse, "description": description}}


# Answers any operation may give, documented on every one so clients (and fuzzers) expect them.
ERROR_RESPONSES: Responses = {
    400: {"model": ErrorResponse, "description": "Malformed request (e.g. a body not in UTF-8)"},
    413: {"model": ErrorResponse, "description": "Request body over MAX_REQUEST_BODY_BYTES"},
    429: {"model": ErrorResponse, "description": "Rate limit exceeded (when rate limiting is on)"},
    500: {"model": ErrorResponse, "description": "Unexpected error; quote the request id"},
    503: {
        "model": ErrorResponse,
        "description": "A dependency (database, Redis) is unavailable, or too many password "
        "hashes are queued; retry after Retry-After",
    },
}
UNAUTHORIZED = error(
    status.HTTP_401_UNAUTHORIZED, "Missing, invalid or expired credentials (WWW-Authenticate)"
)
ADMIN_ONLY = {**UNAUTHORIZED, **error(status.HTTP_403_FORBIDDEN, "The caller is no admin")}


def credentials_error(detail: str = "Could not validate credentials") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def field_refused(field: str, message: str, kind: str) -> RequestValidationError:
    """A 422 for a body field a rule beyond its schema refuses, shaped like any other validation
    error (the documented HTTPValidationError): at the body's `field`, of type `kind`."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": kind}])


def password_refused(error: PasswordPolicyError, field: str) -> RequestValidationError:
    """The 422 for a new password the policy refuses: type `password_policy`, naming every rule
    broken, never the password."""
    return field_refused(field, str(error), "password_policy")


async def no_store(response: Response) -> None:
    """For responses that carry credentials (tokens): no cache may keep them (RFC 6749 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
