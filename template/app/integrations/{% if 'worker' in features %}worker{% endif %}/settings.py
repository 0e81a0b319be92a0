"""What the worker and the API's side of it read: the queue, and the Redis it lives in."""

from __future__ import annotations

from pydantic import Field

from app.integrations.redis import RedisSettings


class WorkerSettings(RedisSettings):
    # The Redis stream the worker reads, under REDIS_KEY_PREFIX.
    WORKER_QUEUE: str = Field(default="tasks", min_length=1, max_length=64, pattern=r"^[\w.-]+$")
