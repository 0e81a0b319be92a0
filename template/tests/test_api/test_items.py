"""The owned example resource: each user reaches their own items, pages of them with totals,
and another user's item is a 404; admins reach all of them, listing everyone's on request."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.api.pagination import MAX_PAGE_SIZE
from app.bootstrap.settings import AppSettings
from app.models.role import Role
from tests.support import NewUser, client_for, started_app

ITEMS = "/api/v1/items"
ONE_ITEM = ITEMS + "/{item_id}"  # as the OpenAPI document names it


async def create(client: AsyncClient, headers: dict[str, str], title: str) -> str:
    response = await client.post(ITEMS, json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    item_id: str = response.json()["id"]
    return item_id


async def test_an_item_is_created_read_changed_and_deleted_by_its_owner(
    client: AsyncClient, new_user: NewUser
) -> None:
    owner_id, headers = await new_user("owner")

    created = await client.post(
        ITEMS, json={"title": "Tea", "description": "green"}, headers=headers
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["owner_id"], item["title"], item["description"]) == (owner_id, "Tea", "green")
    url = f"{ITEMS}/{item['id']}"

    assert (await client.get(url, headers=headers)).json() == item
    changed = await client.patch(url, json={"title": "Coffee"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["description"]) == ("Coffee", "green")
    assert changed.json()["updated_at"] >= item["updated_at"]
    cleared = await client.patch(url, json={"description": None}, headers=headers)
    assert cleared.json()["description"] is None
    assert cleared.json()["title"] == "Coffee"

    deleted = await client.delete(url, headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_the_owners_items_come_in_pages_newest_first_with_their_total(
    client: AsyncClient, new_user: NewUser
) -> None:
    _owner, headers = await new_user("owner")
    _other, other_headers = await new_user("other")
    for title in ("one", "two", "three"):
        await create(client, headers, title)
    await create(client, other_headers, "not yours")

    first = await client.get(ITEMS, params={"limit": 2}, headers=headers)
    rest = await client.get(ITEMS, params={"limit": 2, "offset": 2}, headers=headers)

    assert first.status_code == 200, first.text
    assert {key: first.json()[key] for key in ("total", "limit", "offset")} == {
        "total": 3,
        "limit": 2,
        "offset": 0,
    }
    titles = [item["title"] for item in first.json()["items"] + rest.json()["items"]]
    assert sorted(titles) == ["one", "three", "two"]
    assert rest.json()["total"] == 3


async def test_another_users_item_is_not_found_for_every_operation(
    client: AsyncClient, new_user: NewUser
) -> None:
    _owner, owner_headers = await new_user("owner")
    _other, other_headers = await new_user("other")
    url = f"{ITEMS}/{await create(client, owner_headers, 'private')}"
    missing = f"{ITEMS}/{uuid.uuid4()}"

    for method, body in (("GET", None), ("PATCH", {"title": "mine now"}), ("DELETE", None)):
        foreign = await client.request(method, url, json=body, headers=other_headers)
        absent = await client.request(method, missing, json=body, headers=other_headers)

        assert foreign.status_code == 404, f"{method}: {foreign.text}"
        # Exactly the answer for an id that does not exist: ids reveal nothing.
        assert foreign.json()["detail"] == absent.json()["detail"] == "Item not found"
    assert (await client.get(url, headers=owner_headers)).json()["title"] == "private"


async def test_an_admin_reaches_every_item_and_lists_everyones_only_on_request(
    client: AsyncClient, new_user: NewUser
) -> None:
    _owner, owner_headers = await new_user("owner")
    _admin, admin_headers = await new_user("boss", Role.ADMIN)
    item_id = await create(client, owner_headers, "theirs")
    await create(client, admin_headers, "mine")

    own = await client.get(ITEMS, headers=admin_headers)
    everyone = await client.get(ITEMS, params={"all": "true"}, headers=admin_headers)
    refused = await client.get(ITEMS, params={"all": "true"}, headers=owner_headers)
    read = await client.get(f"{ITEMS}/{item_id}", headers=admin_headers)

    assert [item["title"] for item in own.json()["items"]] == ["mine"]
    assert sorted(item["title"] for item in everyone.json()["items"]) == ["mine", "theirs"]
    assert everyone.json()["total"] == 2
    assert refused.status_code == 403
    assert read.status_code == 200
    assert read.json()["title"] == "theirs"


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": "x" * 201}, {"title": "ok", "description": "x" * 2001}],
)
async def test_an_invalid_item_is_a_422(
    client: AsyncClient, auth_headers: dict[str, str], body: dict[str, str]
) -> None:
    response = await client.post(ITEMS, json=body, headers=auth_headers)

    assert response.status_code == 422, response.text
    assert set(response.json()) == {"detail", "request_id"}


async def test_a_title_cannot_be_cleared_and_paging_is_bounded(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    url = f"{ITEMS}/{await create(client, auth_headers, 'kept')}"

    cleared = await client.patch(url, json={"title": None}, headers=auth_headers)
    too_many = await client.get(ITEMS, params={"limit": MAX_PAGE_SIZE + 1}, headers=auth_headers)

    assert cleared.status_code == 422, cleared.text
    assert "title cannot be null" in cleared.text
    assert too_many.status_code == 422
    assert (await client.get(url, headers=auth_headers)).json()["title"] == "kept"


async def test_the_owner_field_cannot_be_set_by_the_client(
    client: AsyncClient, new_user: NewUser
) -> None:
    owner_id, headers = await new_user("owner")
    other_id, _other_headers = await new_user("other")

    created = await client.post(
        ITEMS, json={"title": "t", "owner_id": other_id, "id": str(uuid.uuid4())}, headers=headers
    )

    assert created.json()["owner_id"] == owner_id


async def test_a_user_past_the_items_cap_gets_a_409_until_one_is_deleted(
    settings: AppSettings, new_user: NewUser
) -> None:
    # Signed in through the suite's app: their tokens serve any app of the same settings.
    _owner, headers = await new_user("owner")
    _other, other_headers = await new_user("other")
    capped = settings.model_copy(update={"ITEMS_PER_USER_MAX": 2})
    async with started_app(capped) as app, client_for(app) as client:
        first = await create(client, headers, "one")
        await create(client, headers, "two")

        refused = await client.post(ITEMS, json={"title": "three"}, headers=headers)
        others = await client.post(ITEMS, json={"title": "theirs"}, headers=other_headers)
        await client.delete(f"{ITEMS}/{first}", headers=headers)
        after_deleting = await client.post(ITEMS, json={"title": "three"}, headers=headers)

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "You have 2 items, the most one user may have; delete one first"
    )
    assert others.status_code == 201
    assert after_deleting.status_code == 201


async def test_a_users_items_go_with_the_user(client: AsyncClient, new_user: NewUser) -> None:
    owner_id, headers = await new_user("owner")
    _admin, admin_headers = await new_user("boss", Role.ADMIN)
    await create(client, headers, "doomed")

    removed = await client.delete(f"/api/v1/users/{owner_id}", headers=admin_headers)
    assert removed.status_code == 204

    everyone = await client.get(ITEMS, params={"all": "true"}, headers=admin_headers)
    assert everyone.json()["total"] == 0


async def test_the_item_routes_need_a_user_and_document_their_errors(
    app: FastAPI, client: AsyncClient
) -> None:
    assert (await client.get(ITEMS)).status_code == 401
    assert (await client.post(ITEMS, json={"title": "t"})).status_code == 401
    paths = app.openapi()["paths"]
    assert set(paths[ITEMS]["get"]["responses"]) >= {"200", "401", "403", "422"}
    for method in ("get", "patch", "delete"):
        assert set(paths[ONE_ITEM][method]["responses"]) >= {"401", "404", "422"}
    listed = paths[ITEMS]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("Page_ItemRead_")
