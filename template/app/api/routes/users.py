from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from app.api.deps import AdminUser, CurrentUser, UserAdminServiceDep
from app.api.pagination import PageRequestDep
from app.schemas.error import ErrorResponse
from app.schemas.page import Page
from app.schemas.user import UserAdminUpdate, UserRead, UserSearch
from app.services.user_admin_service import LastAdminError, UserNotFoundError
from app.services.user_service import UserAlreadyExistsError

router = APIRouter(prefix="/users", tags=["users"])

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorResponse}
}
_ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    **_UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN: {"model": ErrorResponse, "description": "The caller is no admin"},
}
_ONE_USER: dict[int | str, dict[str, Any]] = {
    **_ADMIN_ONLY,
    status.HTTP_404_NOT_FOUND: {"model": ErrorResponse},
}
_LAST_ADMIN: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        "model": ErrorResponse,
        "description": "The e-mail address or username is taken, or this is the last active admin",
    }
}


@router.get("/me", responses=_UNAUTHORIZED)
async def read_current_user(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get("", summary="List users (admins only)", responses=_ADMIN_ONLY)
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
async def read_user(user_id: uuid.UUID, _admin: AdminUser, users: UserAdminServiceDep) -> UserRead:
    try:
        return UserRead.model_validate(await users.get(user_id))
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc


@router.patch(
    "/{user_id}",
    summary="Change a user's address, name, role or activity (admins only)",
    responses={**_ONE_USER, **_LAST_ADMIN},
)
async def update_user(
    user_id: uuid.UUID, changes: UserAdminUpdate, _admin: AdminUser, users: UserAdminServiceDep
) -> UserRead:
    try:
        user = await users.update(user_id, changes.model_dump(exclude_none=True))
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except (UserAlreadyExistsError, LastAdminError) as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return UserRead.model_validate(user)


@router.delete(
    "/{user_id}",
    summary="Delete a user (admins only)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ONE_USER, **_LAST_ADMIN},
)
async def delete_user(user_id: uuid.UUID, _admin: AdminUser, users: UserAdminServiceDep) -> None:
    try:
        await users.delete(user_id)
    except UserNotFoundError as exc:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except LastAdminError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
