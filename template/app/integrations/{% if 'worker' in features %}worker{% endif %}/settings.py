"""What the worker and the API's side of it read: the queue, and the Redis it lives in."""

from __future__ import annotations

from pydantic import Field

from app.integrations.redis import RedisSettings


class WorkerSettings(RedisSettings):
    # The Redis stream the worker reads, under REDIS_KEY_PREFIX.
    WORKER_QUEUE: str = Field(default="tasks", min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    # Tasks one worker process runs at once; run more processes to go past one core.
    WORKER_CONCURRENCY: int = Field(default=100, ge=1, le=10_000)
    # On SIGTERM, how long running tasks may take to finish before they are cancelled. Keep it
    # under the orchestrator's kill deadline (compose and Kubernetes here: 30 s) with room for
    # the broker to close.
    WORKER_SHUTDOWN_GRACE_SECONDS: float = Field(default=20, ge=0, le=3600)
