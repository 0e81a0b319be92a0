"""The users as callers see them: your own record, and the admins' list, lookup and deletion.
Changes to an account are the account kind's own routes (the service's accounts: account.py;
a provider's users: federated_users.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from app.api.deps import AdminUser, CurrentUser, UserAdminServiceDep, UserServiceDep
from app.api.pagination import PageRequestDep
from app.api.responses import ADMIN_ONLY, UNAUTHORIZED, error
from app.schemas.page import Page
from app.schemas.user import UserRead, UserSearch
from app.services.user_service import LastAdminError, UserNotFoundError, UserService

router = APIRouter(prefix="/users", tags=["users"])

_ONE_USER = {**ADMIN_ONLY, **error(status.HTTP_404_NOT_FOUND, "No such user")}
_LAST_ADMIN = error(status.HTTP_409_CONFLICT, "This is the last active admin")


@router.get("/me", responses=UNAUTHORIZED)
async def read_current_user(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


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


@router.delete(
    "/{user_id}",
    summary="Delete a user (admins only)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ONE_USER, **_LAST_ADMIN},
)
async def delete_user(user_id: uuid.UUID, _admin: AdminUser, users: UserServiceDep) -> None:
    await _delete(users, user_id)


async def _delete(users: UserService, user_id: uuid.UUID) -> None:
    try:
        await users.delete(user_id)
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except LastAdminError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
