"""A user's new address set at once through PATCH /users/me, with the current password (a
stolen access token alone cannot move the account): it ends every other login session and voids
every link mailed before. Not collected with the `email` option (tests/conftest.py), where
PATCH /users/me refuses an address and the new one confirms by mail (test_account_mail.py)."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.base import utc_now
from app.models.one_time_token import OneTimeToken, TokenPurpose
from app.models.user import User
from tests.support import PASSWORD, bearer, log_in, refresh_status, sign_up

ME = "/api/v1/users/me"


async def test_users_change_their_own_address_with_their_password(
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


async def test_a_wrong_password_keeps_the_address(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    _, headers = await sign_up(client, migrated_engine, "guarded")

    response = await client.patch(
        ME,
        json={"email": "thief@example.com", "current_password": "not-the-password"},
        headers=headers,
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The current password is incorrect"
    assert (await client.get(ME, headers=headers)).json()["email"] == "guarded@example.com"


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
    assert await refresh_status(client, other) == 401
    assert await refresh_status(client, current) == 200
    async with migrated_engine.connect() as connection:
        pending = select(func.count()).select_from(OneTimeToken)
        assert await connection.scalar(pending.where(OneTimeToken.user_id == user_id)) == 0


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
