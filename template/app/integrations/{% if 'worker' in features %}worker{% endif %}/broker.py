"""The task broker, shared by the API (which enqueues) and the worker (which executes).

Built at import from the environment's settings, so both sides get it by importing this module;
the worker process (app/integrations/worker/process.py) loads only the settings it needs
(WorkerSettings).
"""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

from app.core.config_loading import ConfigurationError, load_settings, selected_environment
from app.integrations.redis import redis_key
from app.integrations.worker.request_id import RequestIdLabel
from app.integrations.worker.settings import WorkerSettings

RESULT_TTL_SECONDS = 3600


def create_broker(settings: WorkerSettings) -> AsyncBroker:
    # A stream with a consumer group: a task a worker took but did not acknowledge (it crashed)
    # is delivered again, unlike a plain list queue.
    stream = RedisStreamBroker(
        url=settings.REDIS_URL,
        queue_name=redis_key(settings, settings.WORKER_QUEUE),
        consumer_group_name=redis_key(settings, "workers"),
    )
    results: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        redis_url=settings.REDIS_URL,
        prefix_str=redis_key(settings, "results"),
        result_ex_time=RESULT_TTL_SECONDS,
    )
    return stream.with_result_backend(results).with_middlewares(RequestIdLabel())


try:
    broker = create_broker(load_settings(selected_environment(), WorkerSettings))
except ConfigurationError as error:
    raise SystemExit(f"configuration error: {error}") from None
