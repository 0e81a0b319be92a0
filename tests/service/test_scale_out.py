"""Deep tier: one machine, several processes. scripts/start.sh with WEB_CONCURRENCY=3 runs
gunicorn with three uvicorn workers; requests spread over them share one rate limit (Redis) and
one set of metrics (Prometheus multiprocess files), and SIGTERM stops every worker gracefully.

PostgreSQL and Redis must answer: their absence fails these tests, it never skips them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.figures import record
from tests.helpers import PRODUCTION_METRICS_TOKEN as METRICS_TOKEN
from tests.helpers import (
    TEMPLATE_ROOT,
    UV,
    RenderedProject,
    free_port,
    render,
    wait_until_serving,
)
from tests.raw_http import exchange, oversized_header, status
from tests.scenarios import on_top_of_minimal
from tests.services import (
    Running,
    access_lines,
    assert_requests_logged_once,
    postgres_database,
    production_environment,
    redis_namespace,
    running,
)

pytestmark = pytest.mark.deep

WORKERS = 3
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}  # production's /metrics needs it
LIMIT = 25  # requests per minute for one client, whichever worker serves them
REQUESTS = 90  # sent over fresh connections, a few at a time
ROUTE = "/health/detailed"
CLIENT = "203.0.113.7"  # announced through X-Forwarded-For, trusted from 127.0.0.1


@pytest.fixture(scope="module")
def shared_state_project(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    project = render(
        tmp_path_factory.mktemp("scale-out"),
        on_top_of_minimal(redis=True, rate_limit="redis", metrics=True),
    )
    project.sync()
    return project


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> Iterator[int]:
    for child in _children(pid):
        yield child
        yield from _descendants(child)


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _gunicorn_workers(root_pid: int) -> tuple[int, list[int]]:
    """(the gunicorn arbiter, its worker processes) under the process the test started."""
    gunicorn = [pid for pid in _descendants(root_pid) if "gunicorn" in _cmdline(pid)]
    children = {pid: _children(pid) for pid in gunicorn}
    [arbiter] = [pid for pid in gunicorn if children[pid]]
    return arbiter, sorted(children[arbiter])


@contextmanager
def serving(
    project: RenderedProject, env: dict[str, str], processes: int = WORKERS
) -> Iterator[tuple[str, Running]]:
    """scripts/start.sh as a user runs it: (base URL, the service); stopped with SIGTERM.
    `processes`: how many worker processes will have started and stopped by then."""
    port = free_port()
    with running(project, [UV, "run", "scripts/start.sh"], env, port) as service:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(base_url, service.process)
        yield base_url, service
    # SIGTERM reached every worker: each ran its lifespan shutdown, then the arbiter left.
    shutdowns = service.output.count("Application shutdown complete.")
    assert shutdowns == processes, service.output[-3000:]
    assert "Shutting down: Master" in service.output, service.output[-3000:]
    assert "Traceback" not in service.output, service.output[-6000:]
    assert_requests_logged_once(service.output)


def _wait_for_every_worker(base_url: str, metrics_dir: Path, workers: int = WORKERS) -> None:
    """Probe until each worker has answered once (its metrics files exist), so every process is
    ready to accept (and, stopped, to shut down gracefully). Probes are exempt from the limit."""
    deadline = time.monotonic() + 60
    while len(list(metrics_dir.glob("counter_*.db"))) < workers:
        assert time.monotonic() < deadline, sorted(p.name for p in metrics_dir.iterdir())
        httpx.get(f"{base_url}/health", timeout=10).raise_for_status()


def _per_process_counts(directory: Path, scratch: Path) -> dict[int, Counter[tuple[str, str]]]:
    """http_requests_total by (route, status) for each worker pid, from its own files."""
    counts: dict[int, Counter[tuple[str, str]]] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        alone = scratch / str(pid)
        alone.mkdir(parents=True)
        shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        tally: Counter[tuple[str, str]] = Counter()
        for family in registry.collect():
            for sample in family.samples:
                if sample.name == "http_requests_total":
                    tally[sample.labels["route"], sample.labels["status"]] += int(sample.value)
        counts[pid] = tally
    return counts


def _scraped_counts(text: str) -> Counter[tuple[str, str]]:
    tally: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total":
                tally[sample.labels["route"], sample.labels["status"]] += int(sample.value)
    return tally


def _start_with_room_in_the_minute(seconds_needed: float = 15.0) -> None:
    """The limit counts in fixed minutes weighed into a sliding one: just past a minute's end
    the full previous minute weighs a little under the limit, so a burst that crosses it is
    allowed one request more. Started with room left, the burst stays inside one minute."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.5)


def _one_request(base_url: str) -> int:
    # A client per request: a fresh connection, which any worker may accept.
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return client.get(ROUTE, headers={"X-Forwarded-For": CLIENT}).status_code


def _scrape(base_url: str) -> Counter[tuple[str, str]]:
    response = httpx.get(f"{base_url}/metrics", headers=SCRAPE, timeout=10)
    assert response.status_code == 200, response.text
    return _scraped_counts(response.text)


def test_workers_share_the_rate_limit_and_the_metrics(
    shared_state_project: RenderedProject, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "prometheus"
    with postgres_database(postgres_url) as database_url, redis_namespace(redis_url) as prefix:
        env = production_environment(
            database_url,
            redis_url,
            prefix,
            WEB_CONCURRENCY=str(WORKERS),
            RATE_LIMIT_DEFAULT=f"{LIMIT}/minute",
            # The readiness route is limited here: it answers 200 until the limit, then 429.
            RATE_LIMIT_EXEMPT_PATHS="/health,/metrics",
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            GRACEFUL_TIMEOUT="10",
        )
        with serving(shared_state_project, env, processes=WORKERS + 1) as (base_url, service):
            arbiter, workers = _gunicorn_workers(service.process.pid)
            assert len(workers) == WORKERS, (arbiter, workers)
            _wait_for_every_worker(base_url, metrics_dir)

            _start_with_room_in_the_minute()
            with ThreadPoolExecutor(max_workers=6) as pool:
                statuses = Counter(pool.map(lambda _: _one_request(base_url), range(REQUESTS)))
            scraped = _scrape(base_url)
            per_process = _per_process_counts(metrics_dir, tmp_path / "per-process")
            headers = httpx.get(f"{base_url}/health", timeout=10).headers

            # A worker that exits is replaced, and gunicorn's child_exit hook marks it dead in
            # the multiprocess directory: its live-gauge files go (the service has no live
            # gauge of its own, so one is planted), its counts stay in the totals.
            victim = workers[0]
            planted = metrics_dir / f"gauge_livesum_{victim}.db"
            planted.touch()
            os.kill(victim, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while planted.exists() or len(_children(arbiter)) < WORKERS:
                assert time.monotonic() < deadline, (planted.exists(), _children(arbiter))
                time.sleep(0.2)
            replacement = set(_children(arbiter)) - set(workers)
            _wait_for_every_worker(base_url, metrics_dir, WORKERS + 1)
            after_restart = _scrape(base_url)

    # Exactly LIMIT answers for the client in all, whichever processes served it.
    assert statuses == {200: LIMIT, 429: REQUESTS - LIMIT}, statuses
    # Each of those requests has one access line, whichever worker served it, naming the client
    # the trusted proxy header gave.
    logged = Counter(
        line["status"]
        for line in access_lines(service.output)
        if line["path"] == ROUTE and line["client"] == CLIENT
    )
    assert logged == statuses, logged
    served_by = {
        pid
        for pid, tally in per_process.items()
        if tally[ROUTE, "200"] + tally["unmatched", "429"] > 0
    }
    record(
        "scale-out: 200/429 answers per worker",
        ", ".join(
            f"{tally[ROUTE, '200']}/{tally['unmatched', '429']}" for tally in per_process.values()
        ),
    )
    # Several workers served the client: per-process counters would have let more through.
    assert len(served_by) >= 2, per_process
    assert served_by <= set(workers), (served_by, workers)
    # /metrics adds every worker's counts up, and they match what the client saw.
    assert scraped[ROUTE, "200"] == LIMIT
    assert scraped["unmatched", "429"] == REQUESTS - LIMIT
    assert sum(tally[ROUTE, "200"] for tally in per_process.values()) == LIMIT
    # The gunicorn path keeps the uvicorn path's behaviour: no Server header.
    assert "server" not in headers
    # The exited worker was replaced; what it counted is still in the totals.
    assert len(replacement) == 1, replacement
    assert after_restart[ROUTE, "200"] == LIMIT
    assert after_restart["unmatched", "429"] == REQUESTS - LIMIT


def test_the_documented_command_serves_with_several_workers(
    shared_state_project: RenderedProject, redis_url: str, tmp_path: Path
) -> None:
    """docs/scale-out.md's command, run as written (development settings, SQLite)."""
    text = (TEMPLATE_ROOT / "docs" / "scale-out.md").read_text()
    [command] = [
        line
        for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if "scripts/start.sh" in line
    ]
    wanted = re.search(r"WEB_CONCURRENCY=(\d+)", command)
    assert wanted is not None
    port = free_port()
    with redis_namespace(redis_url) as prefix:
        env = {
            "PATH": f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": prefix,
            "TMPDIR": str(tmp_path),  # the multiprocess directory goes under it
        }
        with running(shared_state_project, ["bash", "-c", command], env, port) as service:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(base_url, service.process)
            _, workers = _gunicorn_workers(service.process.pid)
            assert len(workers) == int(wanted[1])
            # scripts/start.d/prometheus.sh's default directory, under TMPDIR.
            _wait_for_every_worker(base_url, tmp_path / "prometheus-multiproc", len(workers))
            assert httpx.get(f"{base_url}/health/detailed", timeout=10).status_code == 200
            # The workers bound request heads as the single process does.
            assert status(exchange(port, oversized_header(2_000_000))) == 431

    assert service.output.count("Application shutdown complete.") == len(workers)
    assert "Traceback" not in service.output, service.output[-6000:]
