"""The task broker, shared by the API (which enqueues) and the worker (which executes).

Built at import from the environment's settings, so both sides get it by importing this module;
the worker process (app/integrations/worker/process.py) loads only the settings it needs
(WorkerSettings).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from taskiq import AsyncBroker
from taskiq.message import BrokerMessage
from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

from app.core.config_loading import load_settings_or_exit
from app.integrations.redis import redis_key
from app.integrations.worker.request_id import RequestIdLabel
from app.integrations.worker.settings import WorkerSettings

RESULT_TTL_SECONDS = 3600

# Adds the entry only while the stream holds fewer than ARGV[1] entries, in one step, so
# concurrent enqueues cannot overshoot the bound. Entries leave the stream only when a worker
# acknowledges them: the bound never trims a task that was not run (XADD has no MAXLEN here).
_ADD_IF_ROOM = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
    return false
end
return redis.call('XADD', KEYS[1], '*', 'data', ARGV[2])
"""


class QueueFullError(Exception):
    def __init__(self, queue: str, max_length: int) -> None:
        super().__init__(f"{queue} holds WORKER_QUEUE_MAX_LENGTH ({max_length}) tasks")


class BoundedStreamBroker(RedisStreamBroker):
    """A Redis stream with a consumer group (a task a worker took and did not acknowledge, because
    it crashed, is delivered again, unlike a plain list queue), that:

    - deletes each entry once a worker acknowledged it: a task's arguments (a password reset
      link, say) do not outlive the task in Redis;
    - refuses a task (QueueFullError, which the API answers 503) while the stream holds
      `max_length` entries, waiting or running, instead of growing Redis without bound.
    """

    def __init__(self, *, max_length: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_length = max_length

    async def kick(self, message: BrokerMessage) -> None:
        queue = message.labels.get("queue_name") or self.queue_name
        async with Redis(connection_pool=self.connection_pool) as connection:
            added = await connection.eval(
                _ADD_IF_ROOM, 1, queue, str(self.max_length), message.message
            )
        if added is None:
            raise QueueFullError(queue, self.max_length)

    # taskiq-redis acknowledges with XACK only, which leaves the entry in the stream for good;
    # the generated test `test_a_delivered_task_leaves_nothing_in_the_stream` pins this override.
    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def acknowledge_and_delete() -> None:
            async with (
                Redis(connection_pool=self.connection_pool) as connection,
                connection.pipeline(transaction=True) as pipeline,
            ):
                pipeline.xack(queue_name, self.consumer_group_name, id)
                pipeline.xdel(queue_name, id)
                await pipeline.execute()

        return acknowledge_and_delete


def create_broker(settings: WorkerSettings) -> AsyncBroker:
    stream = BoundedStreamBroker(
        max_length=settings.WORKER_QUEUE_MAX_LENGTH,
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


# Refused in the API process, the exit names every variable the API's start refuses; in the
# worker process, those of the worker's settings.
broker = create_broker(load_settings_or_exit(WorkerSettings))
