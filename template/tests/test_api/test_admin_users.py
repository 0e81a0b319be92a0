"""Admin-only user management, whichever kind of accounts the service has: the pages of GET
/users, and reading, deactivating and deleting one user, with the rule that an active admin
always remains. What an admin may change besides is the accounts' own business:
test_admin_accounts.py (the service's own accounts), test_provider_users.py (a provider's)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.pagination import MAX_PAGE_SIZE
from app.db.session import create_session_factory, session_scope
from app.models.role import Role
from app.services.user_service import LastAdminError, UserService
from tests.support import NewUser

USERS = "/api/v1/users"
ONE_USER = USERS + "/{user_id}"  # as the OpenAPI document names it
ME = "/api/v1/users/me"


async def test_every_admin_route_refuses_other_users_and_anonymous_callers(
    client: AsyncClient, new_user: NewUser
) -> None:
    user_id, headers = await new_user("plain")
    calls = [
        ("GET", USERS, None),
        ("GET", f"{USERS}/{user_id}", None),
        # A change every kind of accounts takes: had it passed, the user would be shut out.
        ("PATCH", f"{USERS}/{user_id}", {"is_active": False}),
        ("DELETE", f"{USERS}/{user_id}", None),
    ]
    for method, url, body in calls:
        forbidden = await client.request(method, url, headers=headers, json=body)
        anonymous = await client.request(method, url, json=body)

        assert forbidden.status_code == 403, f"{method} {url}: {forbidden.text}"
        assert forbidden.json()["detail"] == "Admins only"
        assert anonymous.status_code == 401, f"{method} {url}"
        assert anonymous.headers["www-authenticate"] == "Bearer"
    me = await client.get(ME, headers=headers)
    assert me.status_code == 200, me.text  # the PATCH and the DELETE above changed nothing
    assert (me.json()["id"], me.json()["is_active"]) == (user_id, True)


async def test_users_come_in_pages_with_their_total(
    client: AsyncClient, new_user: NewUser, admin_headers: dict[str, str]
) -> None:
    for name in ("ann", "bob", "cid", "dan"):
        await new_user(name)

    first = await client.get(USERS, params={"limit": 2}, headers=admin_headers)
    rest = await client.get(USERS, params={"limit": 2, "offset": 2}, headers=admin_headers)
    past = await client.get(USERS, params={"offset": 10}, headers=admin_headers)

    assert first.status_code == 200, first.text
    assert first.json()["total"] == 5
    assert (first.json()["limit"], first.json()["offset"]) == (2, 0)
    assert len(first.json()["items"]) == 2
    names = [user["username"] for user in first.json()["items"] + rest.json()["items"]]
    assert len(set(names)) == 4  # no user on two pages
    assert past.json() == {"items": [], "total": 5, "limit": 20, "offset": 10}
    assert "hashed_password" not in first.text


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": MAX_PAGE_SIZE + 1}, {"offset": -1}, {"limit": "many"}, {"q": ""}],
)
async def test_out_of_bounds_paging_is_a_422(
    client: AsyncClient, admin_headers: dict[str, str], params: dict[str, str | int]
) -> None:
    response = await client.get(USERS, params=params, headers=admin_headers)

    assert response.status_code == 422, response.text
    assert set(response.json()) == {"detail", "request_id"}


async def test_search_matches_part_of_a_name_or_address_literally(
    client: AsyncClient, new_user: NewUser, admin_headers: dict[str, str]
) -> None:
    for name in ("alice_w", "alicexw", "bob"):
        await new_user(name)

    async def found(q: str) -> list[str]:
        response = await client.get(USERS, params={"q": q}, headers=admin_headers)
        assert response.status_code == 200, response.text
        assert response.json()["total"] == len(response.json()["items"])
        return sorted(user["username"] for user in response.json()["items"])

    assert await found("ALICE") == ["alice_w", "alicexw"]
    assert await found("e_w") == ["alice_w"]  # "_" is not a wildcard
    assert await found("%") == []
    assert await found("bob@example") == ["bob"]


async def test_an_admin_reads_one_user_and_an_unknown_id_is_a_404(
    client: AsyncClient, new_user: NewUser, admin_headers: dict[str, str]
) -> None:
    user_id, _headers = await new_user("plain")

    found = await client.get(f"{USERS}/{user_id}", headers=admin_headers)
    unknown = await client.get(f"{USERS}/{uuid.uuid4()}", headers=admin_headers)
    malformed = await client.get(f"{USERS}/not-an-id", headers=admin_headers)

    assert found.status_code == 200
    assert found.json()["username"] == "plain"
    assert found.json()["role"] == "user"
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "User not found"
    assert malformed.status_code == 422


async def test_a_deactivated_user_is_refused_from_the_next_request_until_reactivated(
    client: AsyncClient, new_user: NewUser, admin_headers: dict[str, str]
) -> None:
    user_id, headers = await new_user("plain")
    assert (await client.get(ME, headers=headers)).status_code == 200  # the token is cached

    response = await client.patch(
        f"{USERS}/{user_id}", json={"is_active": False}, headers=admin_headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    refused = await client.get(ME, headers=headers)
    assert refused.status_code == 401
    assert set(refused.json()) == {"detail", "request_id"}
    # The admin still sees the user, and may let them back in: the same token works again.
    listed = await client.get(f"{USERS}/{user_id}", headers=admin_headers)
    assert listed.json()["is_active"] is False
    reactivated = await client.patch(
        f"{USERS}/{user_id}", json={"is_active": True}, headers=admin_headers
    )
    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["is_active"] is True
    assert (await client.get(ME, headers=headers)).json()["id"] == user_id


@pytest.mark.parametrize(
    ("method", "body"),
    # Demoting is the service's own accounts' (test_admin_accounts.py): a provider's user has
    # the role its tokens give.
    [("PATCH", {"is_active": False}), ("DELETE", None)],
)
async def test_the_last_active_admin_cannot_be_deactivated_or_deleted(
    client: AsyncClient,
    new_user: NewUser,
    admin_headers: dict[str, str],
    method: str,
    body: dict[str, object] | None,
) -> None:
    admin_id = (await client.get(ME, headers=admin_headers)).json()["id"]

    refused = await client.request(method, f"{USERS}/{admin_id}", json=body, headers=admin_headers)

    assert refused.status_code == 409, refused.text
    assert "last active admin" in refused.json()["detail"]
    # With a second admin, the first may step down (or be removed).
    await new_user("deputy", Role.ADMIN)
    allowed = await client.request(method, f"{USERS}/{admin_id}", json=body, headers=admin_headers)
    assert allowed.status_code in (200, 204), allowed.text


async def test_a_deleted_user_is_gone(
    client: AsyncClient, new_user: NewUser, admin_headers: dict[str, str]
) -> None:
    # What the user's token does next is the accounts' own business: refused with the service's
    # accounts (test_admin_accounts.py), a new user with a provider's (test_provider_users.py).
    user_id, _headers = await new_user("plain")

    deleted = await client.delete(f"{USERS}/{user_id}", headers=admin_headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"{USERS}/{user_id}", headers=admin_headers)).status_code == 404
    assert (await client.delete(f"{USERS}/{user_id}", headers=admin_headers)).status_code == 404
    listed = await client.get(USERS, headers=admin_headers)
    assert [user["username"] for user in listed.json()["items"]] == ["admin"]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    new_user: NewUser, migrated_engine: AsyncEngine
) -> None:
    if migrated_engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writing transaction at a time")
    first_id, _ = await new_user("first", Role.ADMIN)
    second_id, _ = await new_user("second", Role.ADMIN)
    factory = create_session_factory(migrated_engine)

    async def demote(user_id: str) -> str:
        try:
            async with session_scope(factory) as session:
                await UserService(session).update(uuid.UUID(user_id), {"role": Role.USER})
        except LastAdminError:
            return "refused"
        return "demoted"

    outcomes = await asyncio.gather(demote(first_id), demote(second_id))

    assert sorted(outcomes) == ["demoted", "refused"]


async def test_the_admin_routes_document_their_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert set(paths[USERS]["get"]["responses"]) >= {"200", "401", "403", "422"}
    for method in ("get", "patch", "delete"):
        assert set(paths[ONE_USER][method]["responses"]) >= {"401", "403", "404"}
    for method in ("patch", "delete"):
        assert "409" in paths[ONE_USER][method]["responses"]
    listed = paths[USERS]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("Page_UserRead_")
