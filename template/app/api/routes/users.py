from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from app.api.deps import (
    AdminUser,
    AuthServiceDep,
    CurrentUser,
    UserAdminServiceDep,
    UserServiceDep,
)
from app.api.pagination import PageRequestDep
from app.api.responses import ADMIN_ONLY, UNAUTHORIZED, error, field_refused, password_refused
from app.models.user import User
from app.schemas.page import Page
from app.schemas.password import PasswordPolicyError
from app.schemas.user import (
    AccountDeletion,
    PasswordChange,
    UserAdminUpdate,
    UserRead,
    UserSearch,
    UserSelfUpdate,
)
from app.services.auth_service import AddressNeedsConfirmationError, IncorrectPasswordError
from app.services.user_service import (
    LastAdminError,
    UserAlreadyExistsError,
    UserNotFoundError,
    UserService,
)

router = APIRouter(prefix="/users", tags=["users"])

_ONE_USER = {**ADMIN_ONLY, **error(status.HTTP_404_NOT_FOUND, "No such user")}
_TAKEN_OR_LAST_ADMIN = error(
    status.HTTP_409_CONFLICT,
    "The e-mail address (or one that looks like it) or the username is taken, or this is the "
    "last active admin",
)
_WRONG_PASSWORD = error(status.HTTP_400_BAD_REQUEST, "The current password is incorrect")


@router.get("/me", responses=UNAUTHORIZED)
async def read_current_user(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch(
    "/me",
    summary="Change your username, or your e-mail address with your current password; a new "
    "address ends every other login session (with mail, POST /auth/email-change instead: 422)",
    responses={**UNAUTHORIZED, **_TAKEN_OR_LAST_ADMIN, **_WRONG_PASSWORD},
)
async def update_current_user(
    payload: UserSelfUpdate, user: CurrentUser, auth: AuthServiceDep
) -> UserRead:
    return UserRead.model_validate(
        await _update(
            auth.update_own_account(
                user.id,
                payload.changes(),
                current_password=payload.current_password,
                session_id=user.session_id,
            )
        )
    )


@router.delete(
    "/me",
    summary="Delete your account, with everything it owns (takes your current password)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHORIZED, **_TAKEN_OR_LAST_ADMIN, **_WRONG_PASSWORD},
)
async def delete_current_user(
    payload: AccountDeletion, user: CurrentUser, auth: AuthServiceDep
) -> None:
    try:
        await auth.delete_account(user.id, current_password=payload.current_password)
    except IncorrectPasswordError as exc:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except LastAdminError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.post(
    "/me/password",
    summary="Change your password; every other login session ends",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHORIZED, **_WRONG_PASSWORD},
)
async def change_password(payload: PasswordChange, user: CurrentUser, auth: AuthServiceDep) -> None:
    try:
        await auth.change_password(
            user.id,
            current_password=payload.current_password,
            new_password=payload.new_password,
            session_id=user.session_id,
        )
    except IncorrectPasswordError as exc:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except PasswordPolicyError as exc:
        raise password_refused(exc, "new_password") from exc


@router.get("", summary="List users (admins only)", responses=ADMIN_ONLY)
async def list_users(
    _admin: AdminUser,
    users: UserAdminServiceDep,
    page: PageRequestDep,
    q: Annotated[
        UserSearch | None, Query(description="Part of a username or an e-mail address")
    ] = None,
) -> Page[UserRead]:
    found, total = await users.list(limit=page.limit, offset=page.offset, search=q)
    return Page[UserRead](
        items=[UserRead.model_validate(user) for user in found],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{user_id}", summary="Read a user (admins only)", responses=_ONE_USER)
async def read_user(user_id: uuid.UUID, _admin: AdminUser, users: UserServiceDep) -> UserRead:
    try:
        return UserRead.model_validate(await users.get(user_id))
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc


@router.patch(
    "/{user_id}",
    summary="Change a user's address, name, role or activity (admins only)",
    responses={**_ONE_USER, **_TAKEN_OR_LAST_ADMIN},
)
async def update_user(
    user_id: uuid.UUID, changes: UserAdminUpdate, admin: AdminUser, auth: AuthServiceDep
) -> UserRead:
    # An admin changing their own address keeps the session they are using.
    keep = admin.session_id if user_id == admin.id else None
    return UserRead.model_validate(
        await _update(
            auth.update_account(user_id, changes.model_dump(exclude_none=True), keep_session=keep)
        )
    )


@router.delete(
    "/{user_id}",
    summary="Delete a user (admins only)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ONE_USER, **_TAKEN_OR_LAST_ADMIN},
)
async def delete_user(user_id: uuid.UUID, _admin: AdminUser, users: UserServiceDep) -> None:
    await _delete(users, user_id)


async def _update(update: Awaitable[User]) -> User:
    try:
        return await update
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except IncorrectPasswordError as exc:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except AddressNeedsConfirmationError as exc:
        raise field_refused("email", str(exc), "address_confirmed_by_mail") from exc
    except (UserAlreadyExistsError, LastAdminError) as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc


async def _delete(users: UserService, user_id: uuid.UUID) -> None:
    try:
        await users.delete(user_id)
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except LastAdminError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
