"""A user's own account: changing the address or name, deleting it, changing the password.
The address, the password and the account itself take the current password, not only an access
token (which may be stolen); a new address or password ends every other login session."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.base import utc_now
from app.models.item import Item
from app.models.one_time_token import OneTimeToken, TokenPurpose
from app.models.role import Role
from app.models.user import User
from tests.support import PASSWORD, bearer, log_in, sign_up

ME = "/api/v1/users/me"
PASSWORD_CHANGE = "/api/v1/users/me/password"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a-new-long-passphrase"
# With the `email` option a user's new address waits for the link mailed to it, and PATCH /me
# refuses one (422): tests/test_api/test_account_mail.py tests that way of changing it.
ADDRESS_CHANGES_MAILED = importlib.util.find_spec("app.integrations.email") is not None
set_directly = pytest.mark.skipif(
    ADDRESS_CHANGES_MAILED, reason="with email, a new address is confirmed by mail"
)


async def refresh(client: AsyncClient, tokens: dict[str, Any]) -> int:
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    return response.status_code


@set_directly
async def test_users_change_their_own_address_and_name(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "renamed")

    response = await client.patch(
        ME,
        json={"username": "Chosen", "email": "New@Example.com", "current_password": PASSWORD},
        headers=headers,
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

    response = await client.request(
        "DELETE", ME, json={"current_password": PASSWORD}, headers=headers
    )

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
    wrong_password = await client.patch(
        ME,
        json={"email": "thief@example.com", "current_password": "not-the-password"},
        headers=headers,
    )
    deleted_without = await client.request("DELETE", ME, json={}, headers=headers)
    deleted_wrongly = await client.request(
        "DELETE", ME, json={"current_password": "not-the-password"}, headers=headers
    )
    renamed = await client.patch(ME, json={"username": "guarded2"}, headers=headers)

    assert no_password.status_code == 422
    assert "current_password is required" in no_password.text
    if ADDRESS_CHANGES_MAILED:
        assert wrong_password.status_code == 422
        assert "POST /api/v1/auth/email-change" in wrong_password.json()["detail"]
    else:
        assert wrong_password.status_code == 400
        assert wrong_password.json()["detail"] == "The current password is incorrect"
    assert deleted_without.status_code == 422
    assert deleted_wrongly.status_code == 400
    # A username is no credential: it changes with the token alone.
    assert renamed.status_code == 200
    me = (await client.get(ME, headers=headers)).json()
    assert me["email"] == "guarded@example.com"


@set_directly
async def test_a_new_address_ends_every_other_session_and_voids_mailed_links(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "mover")
    current = await log_in(client, "mover")
    other = await log_in(client, "mover")
    async with migrated_engine.begin() as connection:
        user_id = await connection.scalar(select(User.id).where(User.username == "mover"))
        await connection.execute(
            insert(OneTimeToken).values(
                user_id=user_id,
                purpose=TokenPurpose.PASSWORD_RESET,
                token_hash="a" * 64,
                expires_at=utc_now() + timedelta(hours=1),
            )
        )

    moved = await client.patch(
        ME,
        json={"email": "moved@example.com", "current_password": PASSWORD},
        headers=bearer(current),
    )

    assert moved.status_code == 200, moved.text
    assert await refresh(client, other) == 401
    assert await refresh(client, current) == 200
    async with migrated_engine.connect() as connection:
        pending = select(func.count()).select_from(OneTimeToken)
        assert await connection.scalar(pending.where(OneTimeToken.user_id == user_id)) == 0


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


@set_directly
async def test_a_new_address_that_looks_like_anothers_is_refused(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "owner")  # owner@example.com
    _, headers = await sign_up(client, migrated_engine, "mover")

    # A Cyrillic "o" (U+043E) for the Latin one.
    response = await client.patch(
        ME,
        json={"email": "\u043ewner@example.com", "current_password": PASSWORD},
        headers=headers,
    )

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "A user with an email that looks like this one already exists"
    )
    assert (await client.get(ME, headers=headers)).json()["email"] == "mover@example.com"


async def test_the_account_routes_document_their_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert set(paths[ME]["patch"]["responses"]) >= {"200", "400", "401", "409", "422"}
    assert set(paths[ME]["delete"]["responses"]) >= {"204", "400", "401", "409"}
    assert set(paths[PASSWORD_CHANGE]["post"]["responses"]) >= {"204", "400", "401", "422"}
