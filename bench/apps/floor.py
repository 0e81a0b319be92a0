"""Reference "floor": the least work an authenticated "who am I" can do.

Decode the same JWT with PyJWT, read the same user row by primary key through a plain asyncpg
pool (one round trip: the pool's reset-on-release query is turned off), return it. Reads
BENCH_DATABASE_URL (plain postgresql:// DSN) and BENCH_SECRET_KEY.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI, Header, HTTPException

DSN = os.environ["BENCH_DATABASE_URL"]
SECRET_KEY = os.environ["BENCH_SECRET_KEY"]


async def keep_session_state(connection: asyncpg.Connection) -> None:
    """Nothing to undo: the route runs one SELECT and changes no session state. asyncpg's default
    reset would add a round trip (RESET ALL, UNLISTEN, ...) to every request."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        DSN, min_size=10, max_size=10, reset=keep_session_state
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/users/me")
async def me(authorization: str = Header()) -> dict[str, Any]:
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET_KEY, algorithms=["HS256"])
    except jwt.InvalidTokenError as exc:
        raise HTTPException(401) from exc
    row = await app.state.pool.fetchrow(
        "SELECT id, email, username, is_active, created_at FROM users WHERE id = $1",
        uuid.UUID(claims["sub"]),
    )
    if row is None:
        raise HTTPException(401)
    return dict(row)
