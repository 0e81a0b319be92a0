"""Login sessions: refresh tokens rotate on every use, a spent one coming back revokes its whole
family, logout ends one session and logout-all every one; only hashes are stored."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.base import utc_now
from app.models.refresh_token import RefreshToken
from tests.support import bearer, log_in, sign_up

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout-all"
ME = "/api/v1/users/me"


async def refresh(client: AsyncClient, tokens: dict[str, Any]) -> Any:
    return await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})


async def test_a_refresh_returns_a_new_pair_and_spends_the_token(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "rotating")
    first = await log_in(client, "rotating")

    response = await refresh(client, first)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["token_type"] == "bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = await client.get(ME, headers=bearer(second))
    assert me.json()["username"] == "rotating"
    assert (await refresh(client, second)).status_code == 200


async def test_a_spent_token_presented_again_revokes_its_whole_family(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "stolen")
    first = await log_in(client, "stolen")
    other_session = await log_in(client, "stolen")
    second = (await refresh(client, first)).json()

    replayed = await refresh(client, first)

    assert replayed.status_code == 401
    assert replayed.headers["www-authenticate"] == "Bearer"
    assert replayed.json()["detail"] == "Invalid refresh token"
    # The thief and the client share the family: the token issued after the stolen one dies too.
    assert (await refresh(client, second)).status_code == 401
    # Another login of the same user is another family.
    assert (await refresh(client, other_session)).status_code == 200


async def test_unknown_and_expired_tokens_are_refused(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "expiring")
    tokens = await log_in(client, "expiring")
    async with migrated_engine.begin() as connection:
        await connection.execute(
            update(RefreshToken).values(expires_at=utc_now() - timedelta(seconds=1))
        )

    expired = await refresh(client, tokens)
    unknown = await client.post(REFRESH, json={"refresh_token": "x" * 43})
    oversized = await client.post(REFRESH, json={"refresh_token": "x" * 129})

    assert (expired.status_code, unknown.status_code) == (401, 401)
    assert oversized.status_code == 422


async def test_a_deactivated_users_refresh_tokens_stop_working(
    client: AsyncClient, migrated_engine: AsyncEngine, admin_headers: dict[str, str]
) -> None:
    user_id, _ = await sign_up(client, migrated_engine, "leaving")
    tokens = await log_in(client, "leaving")

    deactivated = await client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False}, headers=admin_headers
    )

    assert deactivated.status_code == 200, deactivated.text
    assert (await refresh(client, tokens)).status_code == 401
    assert (await client.get(ME, headers=bearer(tokens))).status_code == 401


async def test_logout_ends_that_session_only(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "leaver")
    ended = await log_in(client, "leaver")
    kept = await log_in(client, "leaver")
    rotated = (await refresh(client, ended)).json()

    # Any token of the family ends it, a spent one too.
    response = await client.post(LOGOUT, json={"refresh_token": ended["refresh_token"]})

    assert response.status_code == 204
    assert (await refresh(client, rotated)).status_code == 401
    assert (await refresh(client, kept)).status_code == 200


async def test_logout_of_an_unknown_token_says_nothing(client: AsyncClient) -> None:
    response = await client.post(LOGOUT, json={"refresh_token": "y" * 43})

    assert response.status_code == 204


async def test_logout_all_ends_every_session_of_the_caller(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "everywhere")
    await sign_up(client, migrated_engine, "bystander")
    sessions = [await log_in(client, "everywhere") for _ in range(3)]
    bystander = await log_in(client, "bystander")

    anonymous = await client.post(LOGOUT_ALL)
    response = await client.post(LOGOUT_ALL, headers=bearer(sessions[0]))

    assert anonymous.status_code == 401
    assert response.status_code == 204
    assert [(await refresh(client, tokens)).status_code for tokens in sessions] == [401] * 3
    assert (await refresh(client, bystander)).status_code == 200


async def test_only_a_hash_of_each_token_is_stored(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "hashed")
    tokens = await log_in(client, "hashed")
    async with migrated_engine.connect() as connection:
        rows = (await connection.execute(select(RefreshToken))).mappings().all()

    stored = " ".join(str(value) for row in rows for value in row.values())
    assert tokens["refresh_token"] not in stored
    digest = hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    (row,) = [row for row in rows if row["token_hash"] == digest]
    assert row["expires_at"] > utc_now() + timedelta(days=13)


async def test_expired_rows_go_when_the_user_gets_a_new_token(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "tidy")
    await log_in(client, "tidy")
    async with migrated_engine.begin() as connection:
        await connection.execute(
            update(RefreshToken).values(expires_at=utc_now() - timedelta(seconds=1))
        )

    await log_in(client, "tidy")

    async with migrated_engine.connect() as connection:
        left = (await connection.execute(select(RefreshToken.id))).all()
    assert len(left) == 1


async def test_revoked_rows_go_when_the_user_gets_a_new_token(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "tidy")
    ended = await log_in(client, "tidy")
    kept = await log_in(client, "tidy")
    rotated = (await refresh(client, kept)).json()
    await client.post(LOGOUT, json={"refresh_token": ended["refresh_token"]})

    newest = await log_in(client, "tidy")

    async with migrated_engine.connect() as connection:
        left = (await connection.execute(select(RefreshToken.token_hash))).scalars().all()

    def digest(tokens: dict[str, Any]) -> str:
        return hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()

    # The ended session's row is gone; a live session keeps its spent token (reuse detection).
    assert digest(ended) not in left
    assert {digest(kept), digest(rotated), digest(newest)} <= set(left)
    assert (await refresh(client, ended)).status_code == 401


async def test_two_refreshes_racing_with_one_token_revoke_the_family(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    """Only one can spend it; the other is a reuse, as if a thief had raced the client."""
    if migrated_engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite runs one at a time")
    await sign_up(client, migrated_engine, "racer")
    tokens = await log_in(client, "racer")

    responses = await asyncio.gather(refresh(client, tokens), refresh(client, tokens))

    assert sorted(response.status_code for response in responses) == [200, 401]
    winner = next(response.json() for response in responses if response.status_code == 200)
    assert (await refresh(client, winner)).status_code == 401


async def test_the_session_routes_document_their_errors(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert set(paths[REFRESH]["post"]["responses"]) >= {"200", "401", "422"}
    assert set(paths[LOGOUT]["post"]["responses"]) >= {"204", "422"}
    assert set(paths[LOGOUT_ALL]["post"]["responses"]) >= {"204", "401"}
    token = paths["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]
    assert token["application/json"]["schema"]["$ref"].endswith("/Token")
