"""Admin-only user management: the pages of GET /users, and reading, changing, deactivating and
deleting one user, with the rule that an active admin always remains."""

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
from tests.support import PASSWORD, log_in, sign_up

USERS = "/api/v1/users"
ONE_USER = USERS + "/{user_id}"  # as the OpenAPI document names it
ME = "/api/v1/users/me"


async def test_every_admin_route_refuses_other_users_and_anonymous_callers(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    user_id, headers = await sign_up(client, migrated_engine, "plain")
    calls = [
        ("GET", USERS, None),
        ("GET", f"{USERS}/{user_id}", None),
        ("PATCH", f"{USERS}/{user_id}", {"role": "admin"}),
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
    assert me.json()["role"] == "user"  # the PATCH above changed nothing


async def test_users_come_in_pages_with_their_total(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    for name in ("ann", "bob", "cid", "dan"):
        await sign_up(client, migrated_engine, name)

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
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    for name in ("alice_w", "alicexw", "bob"):
        await sign_up(client, migrated_engine, name)

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
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, _headers = await sign_up(client, migrated_engine, "plain")

    found = await client.get(f"{USERS}/{user_id}", headers=admin_headers)
    unknown = await client.get(f"{USERS}/{uuid.uuid4()}", headers=admin_headers)
    malformed = await client.get(f"{USERS}/not-an-id", headers=admin_headers)

    assert found.status_code == 200
    assert found.json()["username"] == "plain"
    assert found.json()["role"] == "user"
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "User not found"
    assert malformed.status_code == 422


async def test_a_deactivated_user_is_refused_on_the_next_request_and_at_login(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, headers = await sign_up(client, migrated_engine, "plain")
    assert (await client.get(ME, headers=headers)).status_code == 200  # the token is cached

    response = await client.patch(
        f"{USERS}/{user_id}", json={"is_active": False}, headers=admin_headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await client.get(ME, headers=headers)).status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"username": "plain", "password": PASSWORD}
    )
    assert login.status_code == 401


async def test_an_address_an_admin_changes_ends_the_users_sessions(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, _ = await sign_up(client, migrated_engine, "readdressed")
    tokens = await log_in(client, "readdressed")

    response = await client.patch(
        f"{USERS}/{user_id}", json={"email": "new-home@example.com"}, headers=admin_headers
    )

    assert response.status_code == 200, response.text
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_a_role_change_counts_from_the_next_request(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, headers = await sign_up(client, migrated_engine, "plain")
    assert (await client.get(USERS, headers=headers)).status_code == 403

    promoted = await client.patch(
        f"{USERS}/{user_id}", json={"role": "admin"}, headers=admin_headers
    )
    assert promoted.json()["role"] == "admin"
    assert (await client.get(USERS, headers=headers)).status_code == 200

    await client.patch(f"{USERS}/{user_id}", json={"role": "user"}, headers=admin_headers)
    assert (await client.get(USERS, headers=headers)).status_code == 403
    assert (await client.get(ME, headers=headers)).json()["role"] == "user"


async def test_an_admin_changes_a_name_and_address_but_not_to_taken_ones(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, _headers = await sign_up(client, migrated_engine, "plain")
    await sign_up(client, migrated_engine, "other")

    renamed = await client.patch(
        f"{USERS}/{user_id}",
        json={"username": "Renamed", "email": "New.Address@Example.com"},
        headers=admin_headers,
    )
    taken_name = await client.patch(
        f"{USERS}/{user_id}", json={"username": "other"}, headers=admin_headers
    )
    taken_address = await client.patch(
        f"{USERS}/{user_id}", json={"email": "other@example.com"}, headers=admin_headers
    )
    unchanged = await client.patch(
        f"{USERS}/{user_id}", json={"username": "renamed"}, headers=admin_headers
    )

    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["username"], renamed.json()["email"]) == (
        "renamed",
        "new.address@example.com",
    )
    assert taken_name.status_code == 409
    assert taken_name.json()["detail"] == "A user with this username already exists"
    assert taken_address.status_code == 409
    assert taken_address.json()["detail"] == "A user with this email already exists"
    # Fullwidth letters (U+FF4F...) render like the taken address.
    lookalike = await client.patch(
        f"{USERS}/{user_id}",
        json={"email": "\uff4f\uff54\uff48\uff45\uff52@example.com"},
        headers=admin_headers,
    )
    assert lookalike.status_code == 409
    assert "looks like" in lookalike.json()["detail"]
    assert unchanged.status_code == 200  # its own name is not "taken"


async def test_fields_an_admin_may_not_set_are_ignored(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, _headers = await sign_up(client, migrated_engine, "plain")

    response = await client.patch(
        f"{USERS}/{user_id}",
        json={"id": str(uuid.uuid4()), "hashed_password": "x", "created_at": "2000-01-01"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.json()["id"] == user_id
    login = await client.post(
        "/api/v1/auth/login", json={"username": "plain", "password": PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("method", "body"),
    [("PATCH", {"role": "user"}), ("PATCH", {"is_active": False}), ("DELETE", None)],
)
async def test_the_last_active_admin_cannot_be_demoted_deactivated_or_deleted(
    client: AsyncClient,
    migrated_engine: AsyncEngine,
    admin_headers: dict[str, str],
    method: str,
    body: dict[str, object] | None,
) -> None:
    admin_id = (await client.get(ME, headers=admin_headers)).json()["id"]

    refused = await client.request(method, f"{USERS}/{admin_id}", json=body, headers=admin_headers)

    assert refused.status_code == 409, refused.text
    assert "last active admin" in refused.json()["detail"]
    # With a second admin, the first may step down (or be removed).
    await sign_up(client, migrated_engine, "deputy", Role.ADMIN)
    allowed = await client.request(method, f"{USERS}/{admin_id}", json=body, headers=admin_headers)
    assert allowed.status_code in (200, 204), allowed.text


async def test_a_deleted_user_is_gone_and_its_token_refused(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, headers = await sign_up(client, migrated_engine, "plain")

    deleted = await client.delete(f"{USERS}/{user_id}", headers=admin_headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"{USERS}/{user_id}", headers=admin_headers)).status_code == 404
    assert (await client.delete(f"{USERS}/{user_id}", headers=admin_headers)).status_code == 404
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    if migrated_engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writing transaction at a time")
    first_id, _ = await sign_up(client, migrated_engine, "first", Role.ADMIN)
    second_id, _ = await sign_up(client, migrated_engine, "second", Role.ADMIN)
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
