"""The worker process: `python -m app.integrations.worker`, what scripts/worker.sh runs.

One process with one event loop, logging through the app's JSON handler. It does not use
`taskiq worker`: that command's supervisor passes a stop signal on from inside its signal
handler through a multiprocessing queue, and a second signal arriving meanwhile (a SIGTERM to the
process group that `uv run` forwards as well; taskiq issue #593) deadlocks it for good. To run
more tasks at once, run more of these processes: each joins the stream's consumer group
(`docker compose up --scale worker=N`, the Kubernetes Deployment's replicas).

SIGTERM or SIGINT, once or repeated: no new task is taken, running tasks get
WORKER_SHUTDOWN_GRACE_SECONDS to finish, those still running are then cancelled (their result
records the cancellation), the broker closes and the process exits with status 0.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import pkgutil
import signal
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from taskiq.receiver import Receiver

from app.core.config_loading import load_settings, selected_environment
from app.core.discovery import public_submodules
from app.core.logging import setup_logging
from app.integrations.redis import redis_key
from app.integrations.worker.broker import broker
from app.integrations.worker.settings import WorkerSettings

# Packages whose modules define tasks (importing one registers its tasks on the broker), found,
# not listed: each integration's `tasks` module (app/integrations/<name>/tasks.py, this one's
# among them), then every public module of the service's own `app/tasks/`, if it has one.
SERVICE_TASKS_PACKAGE = "app.tasks"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# After the grace period, how often a cancellation that has not taken effect is made again.
RECANCEL_INTERVAL_SECONDS = 0.5
# After the grace period, cancelled tasks record their result and the broker drops its
# connections; each step is quick, and a Redis that stopped answering holds it no longer than this.
CLEANUP_TIMEOUT_SECONDS = 2.0

logger = logging.getLogger(__name__)


async def consume(settings: WorkerSettings, stop: asyncio.Event) -> None:
    """Run tasks from the queue until `stop` is set, then stop within the grace period."""
    broker.is_worker_process = True
    # Synchronous tasks run in these threads. A thread cannot be interrupted: a synchronous task
    # still running after the grace period keeps the process alive until it returns.
    executor = ThreadPoolExecutor(thread_name_prefix="worker-task")
    try:
        await broker.startup()
        receiver = Receiver(
            broker,
            executor=executor,
            run_startup=False,
            max_async_tasks=settings.WORKER_CONCURRENCY,
            wait_tasks_timeout=settings.WORKER_SHUTDOWN_GRACE_SECONDS,
        )
        logger.info(
            "worker ready",
            extra={
                "queue": redis_key(settings, settings.WORKER_QUEUE),
                "tasks": sorted(broker.get_all_tasks()),
            },
        )
        await listen_until_stopped(receiver.listen, stop, settings.WORKER_SHUTDOWN_GRACE_SECONDS)
    finally:
        await _cancel_unfinished_tasks()
        executor.shutdown(wait=False, cancel_futures=True)
        await _close_broker()
    logger.info("worker stopped")


async def listen_until_stopped(
    listen: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
    stop: asyncio.Event,
    grace_seconds: float,
) -> None:
    """`listen(stop)`, seeing to it that it returns once the grace period after `stop` is over.

    On Python 3.11, asyncio.wait_for loses a cancellation that arrives just as the operation it
    waits for completes (fixed in 3.12), and redis-py writes every command through it. When the
    receiver cancels the broker's read to stop, that read can go on reading, and the receiver
    waits for it for good: the worker never stops. So once the grace period is over, and with it
    the receiver's wait for running tasks, a cancellation still pending is made again until it
    takes effect.
    """
    listening = asyncio.create_task(listen(stop))
    stop_requested = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({listening, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        if not listening.done():
            await asyncio.wait({listening}, timeout=grace_seconds)
        while not listening.done():
            for task in asyncio.all_tasks():
                if task.cancelling() and not task.done():
                    task.cancel()
            await asyncio.wait({listening}, timeout=RECANCEL_INTERVAL_SECONDS)
    finally:
        stop_requested.cancel()
    await listening


def _request_stop(stop: asyncio.Event, signum: signal.Signals, settings: WorkerSettings) -> None:
    if not stop.is_set():
        logger.info(
            "stopping: no new tasks, running ones may finish",
            extra={"signal": signum.name, "grace_seconds": settings.WORKER_SHUTDOWN_GRACE_SECONDS},
        )
    stop.set()


async def _cancel_unfinished_tasks() -> None:
    """Cancel what still runs once the receiver stopped waiting for it (the grace is over)."""
    unfinished = asyncio.all_tasks() - {asyncio.current_task()}
    if not unfinished:
        return
    logger.warning("cancelling unfinished tasks", extra={"count": len(unfinished)})
    for task in unfinished:
        task.cancel()
    await asyncio.wait(unfinished, timeout=CLEANUP_TIMEOUT_SECONDS)


async def _close_broker() -> None:
    try:
        await asyncio.wait_for(broker.shutdown(), CLEANUP_TIMEOUT_SECONDS)
    except Exception:
        # Closing is best effort: the connections go with the process anyway.
        logger.warning("the broker did not close cleanly", exc_info=True)


def task_modules() -> list[str]:
    """Each integration package's `tasks` module, then the service's task modules, each group
    in name order."""
    found = []
    integrations = importlib.import_module("app.integrations")
    for info in sorted(pkgutil.iter_modules(integrations.__path__), key=lambda info: info.name):
        name = f"app.integrations.{info.name}.tasks"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            found.append(name)
    if importlib.util.find_spec(SERVICE_TASKS_PACKAGE) is not None:
        found += [module.__name__ for module in public_submodules(SERVICE_TASKS_PACKAGE)]
    return found


def main() -> None:
    settings = load_settings(selected_environment(), WorkerSettings)
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    for module in task_modules():
        importlib.import_module(module)
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        stop = asyncio.Event()

        def on_stop_signal(signum: int, frame: FrameType | None) -> None:
            # Only schedules the stop on the loop (and wakes it): a repeated signal is harmless.
            if not loop.is_closed():
                loop.call_soon_threadsafe(_request_stop, stop, signal.Signals(signum), settings)

        for signum in STOP_SIGNALS:
            signal.signal(signum, on_stop_signal)
        try:
            runner.run(consume(settings, stop))
        except Exception:
            # E.g. Redis unreachable: one JSON line with the traceback, then a restart's business.
            logger.critical("worker failed", exc_info=True)
            raise SystemExit(1) from None
    # Stopped: a signal that comes late (a launcher forwarding it again) must not kill the exit
    # with status -15. Python puts back the default handlers as it shuts down, but not SIG_IGN.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
