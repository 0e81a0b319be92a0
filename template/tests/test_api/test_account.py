"""A user's own account: changing the address or name, deleting it, changing the password
(which ends every other login session)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models.item import Item
from app.models.role import Role
from tests.support import PASSWORD, bearer, log_in, sign_up

ME = "/api/v1/users/me"
PASSWORD_CHANGE = "/api/v1/users/me/password"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a-new-long-passphrase"


async def refresh(client: AsyncClient, tokens: dict[str, Any]) -> int:
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    return response.status_code


async def test_users_change_their_own_address_and_name(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "renamed")

    response = await client.patch(
        ME, json={"username": "Chosen", "email": "New@Example.com"}, headers=headers
    )

    assert response.status_code == 200, response.text
    assert (response.json()["username"], response.json()["email"]) == (
        "chosen",
        "new@example.com",
    )
    assert (await client.get(ME, headers=headers)).json()["username"] == "chosen"
    await log_in(client, "new@example.com")


async def test_a_taken_name_a_role_or_no_token_is_refused(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "holder")
    _, headers = await sign_up(client, migrated_engine, "wanting")

    taken = await client.patch(ME, json={"username": "holder"}, headers=headers)
    promoted = await client.patch(ME, json={"role": "admin"}, headers=headers)
    anonymous = await client.patch(ME, json={"username": "free"})

    assert taken.status_code == 409
    assert taken.json()["detail"] == "A user with this username already exists"
    assert promoted.status_code == 422
    assert anonymous.status_code == 401
    assert (await client.get(ME, headers=headers)).json()["role"] == "user"


async def test_deleting_your_account_takes_what_you_own_and_ends_your_tokens(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "departing")
    tokens = await log_in(client, "departing")
    created = await client.post("/api/v1/items", json={"title": "mine"}, headers=headers)
    assert created.status_code == 201

    response = await client.delete(ME, headers=headers)

    assert response.status_code == 204
    assert (await client.get(ME, headers=headers)).status_code == 401
    assert await refresh(client, tokens) == 401
    login = await client.post(
        "/api/v1/auth/login", json={"username": "departing", "password": PASSWORD}
    )
    assert login.status_code == 401
    async with migrated_engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Item)) == 0


async def test_the_last_admin_cannot_delete_their_account(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "sole", Role.ADMIN)

    response = await client.delete(ME, headers=headers)

    assert response.status_code == 409
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_a_password_change_ends_every_other_session(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "changer")
    current = await log_in(client, "changer")
    other = await log_in(client, "changer")

    response = await client.post(
        PASSWORD_CHANGE,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(current),
    )

    assert response.status_code == 204, response.text
    assert await refresh(client, other) == 401
    assert await refresh(client, current) == 200
    assert (await client.get(ME, headers=bearer(current))).status_code == 200
    await log_in(client, "changer", NEW_PASSWORD)
    old = await client.post(
        "/api/v1/auth/login", json={"username": "changer", "password": PASSWORD}
    )
    assert old.status_code == 401


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "careful")
    tokens = await log_in(client, "careful")
    other = await log_in(client, "careful")

    wrong = await client.post(
        PASSWORD_CHANGE,
        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )
    weak = await client.post(
        PASSWORD_CHANGE,
        json={"current_password": PASSWORD, "new_password": "password"},
        headers=bearer(tokens),
    )

    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "The current password is incorrect"
    assert weak.status_code == 422
    assert "most common" in weak.json()["detail"][0]["msg"]
    assert await refresh(client, other) == 200
    await log_in(client, "careful", PASSWORD)


async def test_the_account_routes_document_their_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert set(paths[ME]["patch"]["responses"]) >= {"200", "401", "409", "422"}
    assert set(paths[ME]["delete"]["responses"]) >= {"204", "401", "409"}
    assert set(paths[PASSWORD_CHANGE]["post"]["responses"]) >= {"204", "400", "401", "422"}
