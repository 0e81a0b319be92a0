"""Logins waiting for Argon2 must not hold database connections (PostgreSQL: a sized pool)."""

from __future__ import annotations

import asyncio
import os

import pytest

from app.bootstrap.settings import AppSettings
from app.core.password_hashing import PasswordHasher
from tests.support import PASSWORD, client_for, started_app, user_payload

HASH_SECONDS = 0.3
LOGINS = 4


class SlowHasher(PasswordHasher):
    """Verification as slow as a production Argon2 run queued behind others."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost_kib=1024, parallelism=1)

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        await asyncio.sleep(HASH_SECONDS)
        return await super().verify(password, hashed)


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="SQLite has no sized pool; the suite's PostgreSQL run covers it",
)
async def test_logins_waiting_for_argon2_hold_no_database_connection(
    settings: AppSettings,
) -> None:
    # One connection each, and a wait shorter than the logins' hashing put end to end: a login that
    # kept its connection while hashing would make the others (and every other request) 503.
    narrow = settings.model_copy(
        update={
            "DB_POOL_SIZE": 1,
            "DB_MAX_OVERFLOW": 0,
            "DB_READ_POOL_SIZE": 1,
            "DB_POOL_TIMEOUT_SECONDS": 0.5,
        }
    )
    async with started_app(narrow) as app, client_for(app) as client:
        registered = await client.post("/api/v1/auth/register", json=user_payload())
        assert registered.status_code == 201, registered.text
        app.state.password_hasher = SlowHasher()

        logins = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/login", json={"username": "testuser", "password": PASSWORD}
                )
                for _ in range(LOGINS)
            )
        )

        assert [login.status_code for login in logins] == [200] * LOGINS
