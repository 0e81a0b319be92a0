from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, status

from app.api.deps import AuthServiceDep, CurrentUser
from app.api.responses import UNAUTHORIZED, credentials_error, error, no_store, password_refused
from app.schemas.password import PasswordPolicyError
from app.schemas.token import LoginRequest, OAuth2PasswordForm, RefreshRequest, Token
from app.schemas.user import UserCreate, UserRead
from app.services.auth_service import AuthService, EmailNotVerifiedError, RefreshTokenError
from app.services.notification_service import log_welcome
from app.services.user_service import UserAlreadyExistsError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

_LOGIN_REFUSED = {
    **UNAUTHORIZED,
    **error(
        status.HTTP_403_FORBIDDEN, "Logins require a verified e-mail address (the email option)"
    ),
}
_REFRESH_REFUSED = error(
    status.HTTP_401_UNAUTHORIZED,
    "The refresh token is unknown, expired, revoked or spent; a spent one also revokes its "
    "whole session",
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=error(
        status.HTTP_409_CONFLICT,
        "The e-mail address (or one that looks like it) or the username is taken",
    ),
)
async def register(
    payload: UserCreate, auth: AuthServiceDep, background_tasks: BackgroundTasks
) -> UserRead:
    try:
        user = await auth.register(payload)
    except PasswordPolicyError as exc:
        raise password_refused(exc, "password") from exc
    except UserAlreadyExistsError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    # Runs after the response is sent, hence after the user row is committed.
    background_tasks.add_task(log_welcome, payload.email, payload.username)
    return UserRead.model_validate(user)


@router.post("/login", responses=_LOGIN_REFUSED, dependencies=[Depends(no_store)])
async def login(credentials: LoginRequest, auth: AuthServiceDep) -> Token:
    return await _log_in(auth, credentials.username, credentials.password)


@router.post(
    "/token",
    summary="OAuth2 password flow (form body), used by the docs' Authorize button",
    responses=_LOGIN_REFUSED,
    dependencies=[Depends(no_store)],
)
async def token(form: Annotated[OAuth2PasswordForm, Form()], auth: AuthServiceDep) -> Token:
    return await _log_in(auth, form.username, form.password)


@router.post(
    "/refresh",
    summary="Trade a refresh token for the next pair (the token presented is spent)",
    responses=_REFRESH_REFUSED,
    dependencies=[Depends(no_store)],
)
async def refresh(payload: RefreshRequest, auth: AuthServiceDep) -> Token:
    try:
        return await auth.refresh(payload.refresh_token)
    except RefreshTokenError as exc:
        logger.info("refresh refused: %s", exc)
        raise credentials_error("Invalid refresh token") from exc


@router.post(
    "/logout",
    summary="End the login session the refresh token belongs to",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def logout(payload: RefreshRequest, auth: AuthServiceDep) -> None:
    # 204 for an unknown token too: a logout must not tell which tokens exist (RFC 7009).
    await auth.logout(payload.refresh_token)


@router.post(
    "/logout-all",
    summary="End every login session of the caller",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=UNAUTHORIZED,
)
async def logout_all(user: CurrentUser, auth: AuthServiceDep) -> None:
    await auth.end_sessions(user.id)


async def _log_in(auth: AuthService, login: str, password: str) -> Token:
    try:
        user_id = await auth.authenticate(login, password)
    except EmailNotVerifiedError as exc:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    if user_id is None:
        raise credentials_error("Incorrect username or password")
    return await auth.start_session(user_id)
