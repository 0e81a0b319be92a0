"""Route dependencies: the process-wide resources the lifespan built (app/bootstrap/), typed
aliases for them, services wired to the request, and the current user.

The providers are `async def`: FastAPI runs a plain `def` dependency in a worker thread, and
that hand-off would cost more than the dependency itself on every request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api.responses import credentials_error
from app.core.config import API_V1_PREFIX, Settings
from app.core.password_hashing import PasswordHasher
from app.core.service_settings import ServiceSettings
from app.db.reads import RowReader
from app.db.session import session_scope
from app.services.auth_service import AuthenticationError, AuthService, auth_service_for
from app.services.health_service import ReadinessProbe
from app.services.identity_service import AuthenticatedUser, IdentityService
from app.services.user_admin_service import UserAdminService
from app.services.user_service import UserService

logger = logging.getLogger(__name__)


async def get_app_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_service_settings(request: Request) -> ServiceSettings:
    # The app's settings join the service's own class (app/bootstrap/settings.py): the fields a
    # team adds to ServiceSettings are typed through this provider.
    return cast(ServiceSettings, request.app.state.settings)


async def get_password_hasher(request: Request) -> PasswordHasher:
    return cast(PasswordHasher, request.app.state.password_hasher)


async def get_row_reader(request: Request) -> RowReader:
    return cast(RowReader, request.app.state.row_reader)


async def get_identity_service(request: Request) -> IdentityService:
    return cast(IdentityService, request.app.state.identity_service)


async def get_readiness_probe(request: Request) -> ReadinessProbe:
    return cast(ReadinessProbe, request.app.state.readiness_probe)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A unit of work: committed when the route returns, rolled back when it raises."""
    factory = cast(async_sessionmaker[AsyncSession], request.app.state.session_factory)
    async with session_scope(factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ServiceSettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]
# scope="function": commit (or roll back) before the response is sent, so a failed commit
# is reported to the client instead of after a success status went out.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
RowReaderDep = Annotated[RowReader, Depends(get_row_reader)]
HasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
ReadinessProbeDep = Annotated[ReadinessProbe, Depends(get_readiness_probe)]


async def get_user_service(session: SessionDep) -> UserService:
    return UserService(session)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]


async def get_user_admin_service(session: SessionDep) -> UserAdminService:
    return UserAdminService(session)


UserAdminServiceDep = Annotated[UserAdminService, Depends(get_user_admin_service)]


async def get_auth_service(
    session: SessionDep, reader: RowReaderDep, hasher: HasherDep, settings: SettingsDep
) -> AuthService:
    return auth_service_for(session, reader, hasher, settings)


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


class BearerUser(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme (as the OpenAPI document shows it) that resolves the caller too:
    one dependency per authenticated request, where a scheme, a service provider and a lookup
    would each be a dependency FastAPI resolves on every request."""

    async def __call__(self, request: Request) -> AuthenticatedUser:  # type: ignore[override]
        token = await super().__call__(request)
        if not token:
            raise credentials_error("Not authenticated")
        identity = await get_identity_service(request)
        try:
            return await identity.user_from_token(token)
        except AuthenticationError as exc:
            logger.info("authentication failed: %s", exc)
            raise credentials_error() from exc


# auto_error=False: a missing header gets the same 401 (with WWW-Authenticate) as a bad token.
# The scheme keeps the standard name API clients generated from the OpenAPI document know.
get_current_user = BearerUser(
    tokenUrl=f"{API_V1_PREFIX}/auth/token", scheme_name="OAuth2PasswordBearer", auto_error=False
)
CurrentUser = Annotated[AuthenticatedUser, Depends(get_current_user)]


async def get_current_admin(user: CurrentUser) -> AuthenticatedUser:
    """The caller, if an active admin; the role is read with the user on every request, so a
    demotion counts from the next one."""
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")
    return user


AdminUser = Annotated[AuthenticatedUser, Depends(get_current_admin)]
