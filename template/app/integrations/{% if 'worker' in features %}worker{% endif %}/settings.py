"""What the worker and the API's side of it read: the queue, and the Redis it lives in."""

from __future__ import annotations

from pydantic import Field

from app.integrations.redis import RedisSettings


class WorkerSettings(RedisSettings):
    WORKER_QUEUE: str = Field(
        default="tasks",
        min_length=1,
        max_length=64,
        pattern=r"^[\w.-]+$",
        description="Name of the Redis stream the worker reads (prefixed with REDIS_KEY_PREFIX)",
    )
    WORKER_QUEUE_MAX_LENGTH: int = Field(
        default=10_000,
        ge=1,
        le=10_000_000,
        description="Tasks the stream may hold, waiting or running; past it enqueueing answers "
        "503 (nothing queued is ever trimmed)",
    )
    NOTIFICATIONS_PER_USER_PER_HOUR: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Notifications one user may queue per clock hour (POST /notifications); "
        "past it 429 with Retry-After",
    )
    WORKER_CONCURRENCY: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Tasks one worker process runs at once (run more processes to use more cores)",
    )
    # Keep it under the orchestrator's kill deadline (compose and Kubernetes here: 30 s) with
    # room for the broker to close.
    WORKER_SHUTDOWN_GRACE_SECONDS: float = Field(
        default=20,
        ge=0,
        le=3600,
        description="On SIGTERM, how long running tasks may take to finish before they are "
        "cancelled",
    )
