from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, status

from app.api.deps import AuthServiceDep, credentials_error, no_store
from app.schemas.error import ErrorResponse
from app.schemas.password import PASSWORD_MAX_LENGTH
from app.schemas.token import LoginRequest, OAuth2PasswordForm, Token
from app.schemas.user import UserCreate, UserRead
from app.services.auth_service import AuthService
from app.services.notification_service import send_welcome
from app.services.user_service import UserAlreadyExistsError

router = APIRouter(prefix="/auth", tags=["auth"])

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorResponse}
}


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={status.HTTP_409_CONFLICT: {"model": ErrorResponse}},
)
async def register(
    payload: UserCreate, auth: AuthServiceDep, background_tasks: BackgroundTasks
) -> UserRead:
    try:
        user = await auth.register(payload)
    except UserAlreadyExistsError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    # Runs after the response is sent, hence after the user row is committed.
    background_tasks.add_task(send_welcome, user.email, user.username)
    return UserRead.model_validate(user)


@router.post("/login", responses=_UNAUTHORIZED, dependencies=[Depends(no_store)])
async def login(credentials: LoginRequest, auth: AuthServiceDep) -> Token:
    return await _issue_token(auth, credentials.username, credentials.password)


@router.post(
    "/token",
    summary="OAuth2 password flow (form body), used by the docs' Authorize button",
    responses=_UNAUTHORIZED,
    dependencies=[Depends(no_store)],
)
async def token(form: Annotated[OAuth2PasswordForm, Form()], auth: AuthServiceDep) -> Token:
    return await _issue_token(auth, form.username, form.password)


async def _issue_token(auth: AuthService, login: str, password: str) -> Token:
    # No stored password is longer than registration allows: refuse without hashing.
    too_long = len(password) > PASSWORD_MAX_LENGTH
    user_id = None if too_long else await auth.authenticate(login, password)
    if user_id is None:
        raise credentials_error("Incorrect username or password")
    return auth.issue_token(user_id)
