"""A user's own account: changing the name, deleting it, changing the password. The password
and the account itself take the current password, not only an access token (which may be
stolen); a new password ends every other login session. A new address: test_address_change.py
(set at once) or, with the `email` option, test_account_mail.py (confirmed by mail)."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models.item import Item
from app.models.role import Role
from tests.support import PASSWORD, bearer, log_in, refresh_status, sign_up

ME = "/api/v1/users/me"
PASSWORD_CHANGE = "/api/v1/users/me/password"
NEW_PASSWORD = "a-new-long-passphrase"


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

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=headers
    )

    assert response.status_code == 204
    assert (await client.get(ME, headers=headers)).status_code == 401
    assert await refresh_status(client, tokens) == 401
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

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=headers
    )

    assert response.status_code == 409
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_an_access_token_alone_cannot_move_or_delete_the_account(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "guarded")

    no_password = await client.patch(ME, json={"email": "thief@example.com"}, headers=headers)
    deleted_without = await client.request("DELETE", ME, json={}, headers=headers)
    deleted_wrongly = await client.request(
        "DELETE", ME, json={"current_password": "not-the-password"}, headers=headers
    )
    renamed = await client.patch(ME, json={"username": "guarded2"}, headers=headers)

    assert no_password.status_code == 422
    assert "current_password is required" in no_password.text
    assert deleted_without.status_code == 422
    assert deleted_wrongly.status_code == 400
    # A username is no credential: it changes with the token alone.
    assert renamed.status_code == 200
    me = (await client.get(ME, headers=headers)).json()
    assert me["email"] == "guarded@example.com"


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
    assert await refresh_status(client, other) == 401
    assert await refresh_status(client, current) == 200
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
    assert await refresh_status(client, other) == 200
    await log_in(client, "careful", PASSWORD)


async def test_a_new_password_is_held_to_the_length_and_the_accounts_name_and_address(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "guarded")  # guarded@example.com
    tokens = await log_in(client, "guarded")
    refused = {
        "weakpass": "must have at least 15 characters",
        "my GUARDED passphrase": "must not contain the username",
    }

    for new_password, rule in refused.items():
        response = await client.post(
            PASSWORD_CHANGE,
            json={"current_password": PASSWORD, "new_password": new_password},
            headers=bearer(tokens),
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "new_password"]
        assert error["type"] == "password_policy"
        assert rule in error["msg"]
        assert new_password not in response.text
    await log_in(client, "guarded", PASSWORD)


async def test_the_account_routes_document_their_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert set(paths[ME]["patch"]["responses"]) >= {"200", "400", "401", "409", "422"}
    assert set(paths[ME]["delete"]["responses"]) >= {"204", "400", "401", "409"}
    assert set(paths[PASSWORD_CHANGE]["post"]["responses"]) >= {"204", "400", "401", "422"}
