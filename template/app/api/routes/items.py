"""The owned example resource: the pattern to copy for a resource that belongs to its creator.

Everyone reaches their own items; an admin reaches every item by id, and lists everyone's only
when asking for it (`?all=true`). Another user's item is a 404, as a missing one is. The
resource's service provider sits here, beside its only user: a resource of yours built the same
way edits no file of the template's.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from app.api.deps import CurrentUser, SessionDep, SettingsDep
from app.api.pagination import PageRequestDep
from app.api.responses import UNAUTHORIZED, error
from app.schemas.item import ItemCreate, ItemRead, ItemUpdate
from app.schemas.page import Page
from app.services.authenticated_user import AuthenticatedUser
from app.services.item_service import (
    ItemLimitReachedError,
    ItemNotFoundError,
    ItemScope,
    ItemService,
)


async def get_item_service(session: SessionDep, settings: SettingsDep) -> ItemService:
    return ItemService(session, max_per_owner=settings.ITEMS_PER_USER_MAX)


ItemServiceDep = Annotated[ItemService, Depends(get_item_service)]

router = APIRouter(prefix="/items", tags=["items"])

_ONE_ITEM = {**UNAUTHORIZED, **error(status.HTTP_404_NOT_FOUND, "No such item of yours")}


def _scope(user: AuthenticatedUser) -> ItemScope:
    return ItemScope(owner_id=None if user.is_admin else user.id)


def _not_found(exc: ItemNotFoundError) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc))


@router.post(
    "",
    summary="Create an item of yours (at most ITEMS_PER_USER_MAX)",
    status_code=status.HTTP_201_CREATED,
    responses={
        **UNAUTHORIZED,
        **error(status.HTTP_409_CONFLICT, "You have the most items one user may have"),
    },
)
async def create_item(payload: ItemCreate, user: CurrentUser, items: ItemServiceDep) -> ItemRead:
    try:
        item = await items.create(user.id, title=payload.title, description=payload.description)
    except ItemLimitReachedError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return ItemRead.model_validate(item)


@router.get(
    "",
    summary="List your items (admins: everyone's with all=true)",
    responses={
        **UNAUTHORIZED,
        **error(status.HTTP_403_FORBIDDEN, "all=true, no admin"),
    },
)
async def list_items(
    user: CurrentUser,
    items: ItemServiceDep,
    page: PageRequestDep,
    all_users: Annotated[
        bool, Query(alias="all", description="Every user's items (admins only)")
    ] = False,
) -> Page[ItemRead]:
    if all_users and not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")
    scope = ItemScope(owner_id=None if all_users else user.id)
    found, total = await items.list(scope, limit=page.limit, offset=page.offset)
    return Page[ItemRead](
        items=[ItemRead.model_validate(item) for item in found],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{item_id}", responses=_ONE_ITEM)
async def read_item(item_id: uuid.UUID, user: CurrentUser, items: ItemServiceDep) -> ItemRead:
    try:
        return ItemRead.model_validate(await items.get(_scope(user), item_id))
    except ItemNotFoundError as exc:
        raise _not_found(exc) from exc


@router.patch("/{item_id}", responses=_ONE_ITEM)
async def update_item(
    item_id: uuid.UUID, changes: ItemUpdate, user: CurrentUser, items: ItemServiceDep
) -> ItemRead:
    try:
        item = await items.update(_scope(user), item_id, changes.model_dump(exclude_unset=True))
    except ItemNotFoundError as exc:
        raise _not_found(exc) from exc
    return ItemRead.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ONE_ITEM)
async def delete_item(item_id: uuid.UUID, user: CurrentUser, items: ItemServiceDep) -> None:
    try:
        await items.delete(_scope(user), item_id)
    except ItemNotFoundError as exc:
        raise _not_found(exc) from exc
