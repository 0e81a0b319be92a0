"""`install` answers a full password-hashing queue with a quick 503 and returns the lifespan
hook that builds the hasher (its worker pool warmed before the first login) and the identity
service that resolves the caller of every authenticated request (app/api/password_bearer.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.core.errors import service_unavailable_response
from app.core.hooks import LifespanHook
from app.core.password_hashing import PasswordHasher, PasswordHashingBusyError
from app.core.tokens import AccessTokenVerifier
from app.db.reads import RowReader
from app.integrations.accounts.settings import AccountSettings
from app.services.identity_service import IdentityService

logger = logging.getLogger(__name__)


def password_hasher(settings: AccountSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.PASSWORD_HASH_TIME_COST,
        memory_cost_kib=settings.PASSWORD_HASH_MEMORY_COST_KIB,
        parallelism=settings.PASSWORD_HASH_PARALLELISM,
        concurrency=settings.PASSWORD_HASH_CONCURRENCY,
        queue_limit=settings.PASSWORD_HASH_QUEUE_LIMIT,
    )


async def handle_hashing_busy(_request: Request, exc: Exception) -> JSONResponse:
    # A full queue drains within a few hash times: a second is long enough to wait.
    logger.warning("password hashing queue full: %s", exc)
    return service_unavailable_response(retry_after_seconds=1)


def install(app: FastAPI, settings: AccountSettings) -> LifespanHook:
    app.add_exception_handler(PasswordHashingBusyError, handle_hashing_busy)

    def hook(application: FastAPI) -> AbstractAsyncContextManager[None]:
        return open_accounts(application, settings)

    return hook


@asynccontextmanager
async def open_accounts(app: FastAPI, settings: AccountSettings) -> AsyncIterator[None]:
    hasher = password_hasher(settings)
    reader: RowReader = app.state.row_reader
    tokens = AccessTokenVerifier(
        secret_key=settings.SECRET_KEY.get_secret_value(),
        cache_size=settings.ACCESS_TOKEN_CACHE_SIZE,
    )
    app.state.password_hasher = hasher
    app.state.identity_service = IdentityService(reader, tokens)
    await hasher.prepare()
    yield
