"""The current user of a service that keeps its own accounts: the bearer of an access token it
issued at login (app/api/routes/auth.py). Routes take it as app/api/deps.py's CurrentUser."""

from __future__ import annotations

import logging
from typing import cast

from fastapi import Request
from fastapi.security import OAuth2PasswordBearer

from app.core.config import API_V1_PREFIX
from app.core.errors import credentials_error
from app.services.authenticated_user import AuthenticatedUser, AuthenticationError
from app.services.identity_service import IdentityService

logger = logging.getLogger(__name__)


class BearerUser(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme (as the OpenAPI document shows it) that resolves the caller too:
    one dependency per authenticated request, where a scheme, a service provider and a lookup
    would each be a dependency FastAPI resolves on every request."""

    async def __call__(self, request: Request) -> AuthenticatedUser:  # type: ignore[override]
        token = await super().__call__(request)
        if not token:
            raise credentials_error("Not authenticated")
        identity = cast(IdentityService, request.app.state.identity_service)
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
