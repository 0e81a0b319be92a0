"""Per-user quotas on work a request hands to the worker: a route that enqueues on a user's
behalf spends one unit, so no user can fill the queue (and Redis) for everyone.

A fixed clock-hour window counted in Redis (INCR, with the key expiring after its hour), shared
by every API replica; while Redis is down, spending raises RedisError (503), as enqueueing would.
"""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from app.integrations.redis import redis_key
from app.integrations.worker.settings import WorkerSettings

WINDOW_SECONDS = 3600


class QuotaExceededError(Exception):
    def __init__(self, name: str, limit: int, retry_after_seconds: int) -> None:
        super().__init__(f"At most {limit} {name} an hour; try again later")
        self.retry_after_seconds = retry_after_seconds


class HourlyUserQuota:
    def __init__(self, redis: Redis, settings: WorkerSettings, name: str, limit: int) -> None:
        self._redis = redis
        self._settings = settings
        self._name = name
        self._limit = limit

    async def spend(self, user_id: uuid.UUID) -> None:
        """Count one use for the user; QuotaExceededError once they used `limit` this hour."""
        now = int(time.time())
        window = now // WINDOW_SECONDS
        key = redis_key(self._settings, "quota", self._name, str(user_id), str(window))
        async with self._redis.pipeline(transaction=True) as pipeline:
            pipeline.incr(key)
            pipeline.expire(key, WINDOW_SECONDS)
            used, _ = await pipeline.execute()
        if used > self._limit:
            retry_after = (window + 1) * WINDOW_SECONDS - now
            raise QuotaExceededError(self._name, self._limit, retry_after)
