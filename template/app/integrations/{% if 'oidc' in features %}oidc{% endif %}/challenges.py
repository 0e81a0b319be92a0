"""The HTTP answers of the verification failures (RFC 6750, section 3), as exception handlers
`install` registers and as HTTPExceptions a route can raise itself:

- InvalidAccessTokenError: 401, `WWW-Authenticate: Bearer error="invalid_token"`; the reason goes to
  the log, the client learns nothing of it.
- InsufficientScopeError: 403, `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`,
  naming every scope the operation requires.
- ProviderKeysUnavailableError: 503 with Retry-After, as for any backing service that is down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse

from app.core.errors import error_response, handle_dependency_unavailable
from app.integrations.oidc.errors import (
    InsufficientScopeError,
    InvalidAccessTokenError,
    ProviderKeysUnavailableError,
)
from app.integrations.oidc.scopes import checked_scopes

logger = logging.getLogger(__name__)

INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'  # noqa: S105 - not a secret
INVALID_TOKEN_DETAIL = "Invalid or expired access token"  # noqa: S105 - not a secret
INSUFFICIENT_SCOPE_DETAIL = "The access token does not grant the scope this operation requires"


def insufficient_scope_challenge(required: Iterable[str]) -> str:
    # Scope names hold no quote or backslash (checked_scopes): safe in the quoted string.
    return f'Bearer error="insufficient_scope", scope="{" ".join(checked_scopes(required))}"'


def invalid_token_error() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=INVALID_TOKEN_DETAIL,
        headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE},
    )


def insufficient_scope_error(required: Iterable[str]) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_403_FORBIDDEN,
        detail=INSUFFICIENT_SCOPE_DETAIL,
        headers={"WWW-Authenticate": insufficient_scope_challenge(required)},
    )


async def answer_invalid_token(_request: Request, exc: Exception) -> JSONResponse:
    reason = exc.reason if isinstance(exc, InvalidAccessTokenError) else type(exc).__name__
    logger.info("access token refused: %s", reason)
    return error_response(
        status.HTTP_401_UNAUTHORIZED,
        INVALID_TOKEN_DETAIL,
        {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE},
    )


async def answer_insufficient_scope(_request: Request, exc: Exception) -> JSONResponse:
    required = exc.required if isinstance(exc, InsufficientScopeError) else ()
    logger.info("access token lacks scopes: %s", exc)
    return error_response(
        status.HTTP_403_FORBIDDEN,
        INSUFFICIENT_SCOPE_DETAIL,
        {"WWW-Authenticate": insufficient_scope_challenge(required)},
    )


def add_challenge_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidAccessTokenError, answer_invalid_token)
    app.add_exception_handler(InsufficientScopeError, answer_insufficient_scope)
    app.add_exception_handler(ProviderKeysUnavailableError, handle_dependency_unavailable)
