"""Route dependencies: typed aliases, services wired to the request, and the current user."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import API_V1_PREFIX
from app.core.config import Settings
from app.core.dependencies import (
    get_app_settings,
    get_db_session,
    get_health_checks,
    get_identity_service,
    get_password_hasher,
    get_read_session,
)
from app.core.security import PasswordHasher
from app.services.auth_service import AuthenticationError, AuthService
from app.services.health_service import HealthCheck
from app.services.identity_service import AuthenticatedUser
from app.services.user_service import UserService

logger = logging.getLogger(__name__)

# auto_error=False: a missing header is answered below with the same 401 as a bad token.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_V1_PREFIX}/auth/token", auto_error=False)

SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# scope="function": commit (or roll back) before the response is sent, so a failed commit
# is reported to the client instead of after a success status went out.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
# Reads only: one round trip per query, no transaction (see app/db/session.py).
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
HasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
HealthChecksDep = Annotated[Mapping[str, HealthCheck], Depends(get_health_checks)]


async def get_user_service(session: SessionDep) -> UserService:
    return UserService(session)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]


async def get_auth_service(
    users: UserServiceDep, hasher: HasherDep, settings: SettingsDep
) -> AuthService:
    return AuthService(users, hasher, settings)


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


def credentials_error(detail: str = "Could not validate credentials") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> AuthenticatedUser:
    """One dependency, not a chain: each extra provider FastAPI resolves costs more per request
    than this whole lookup's Python work (see docs/benchmarks.md)."""
    if not token:
        raise credentials_error("Not authenticated")
    identity = await get_identity_service(request)
    try:
        return await identity.user_from_token(token)
    except AuthenticationError as exc:
        logger.info("authentication failed: %s", exc)
        raise credentials_error() from exc


CurrentUser = Annotated[AuthenticatedUser, Depends(get_current_user)]
