"""The test Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/0).

Every key the suite writes starts with this run's REDIS_KEY_PREFIX; they are deleted at the
end, whatever else the server holds. A Redis that does not answer fails the run: the features
that need it cannot be tested without it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError


@pytest.fixture(scope="session", autouse=True)
async def redis_server() -> AsyncIterator[Redis]:
    url = os.environ["REDIS_URL"]
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except RedisError as exc:
        await client.aclose()
        pytest.fail(f"Redis is not answering at {url} (set TEST_REDIS_URL): {exc}")
    yield client
    prefix = os.environ["REDIS_KEY_PREFIX"]
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        await client.delete(key)
    await client.aclose()
