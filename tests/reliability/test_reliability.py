"""The all-on service under bad input, faults and load, on private PostgreSQL and Redis servers.

Everything targets 127.0.0.1; every loop is bounded in count and time. The figures (fuzz cases,
outage detection and recovery, req/s, p99) are printed at the end of the run.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.figures import record
from tests.helpers import (
    PRODUCTION_ALLOWED_HOSTS,
    PRODUCTION_METRICS_TOKEN,
    PRODUCTION_SECRET_KEY,
    UV,
    RenderedProject,
    free_port,
    project_environment,
    render,
    wait_until_serving,
)
from tests.load import load
from tests.private_services import PrivatePostgres, PrivateRedis
from tests.raw_http import (
    dribble,
    exchange,
    many_fields,
    oversized_header,
    rss_mib,
    server_pid,
    status,
    unfinished_body,
)
from tests.scenarios import ALL_ON

pytestmark = pytest.mark.deep

BIN = Path(sys.executable).parent
PASSWORD = "quartz-otter-58-violet"
ADMIN_PASSWORD = "fuzzing admin passphrase"
DB_CONNECT_TIMEOUT_SECONDS = 2
LOAD_SECONDS = int(os.environ.get("TEMPLATE_LOAD_SECONDS", "10"))
# Shorter than the default 10 s, so the slow-header test is quick; long enough for the load test's
# clients, which send each request whole.
HEADER_TIMEOUT_SECONDS = 2
# Likewise for a request's body.
BODY_TIMEOUT_SECONDS = 2
# Production Argon2 (64 MiB, t=3) with a narrow gate, so a bounded burst overflows it.
HASH_CONCURRENCY = 2
HASH_QUEUE_LIMIT = 4
LOGIN_BURST = 40


@pytest.fixture(scope="module")
def all_on(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    project = render(tmp_path_factory.mktemp("reliability"), ALL_ON)
    project.sync()
    return project


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(
    all_on: RenderedProject, postgres: PrivatePostgres, redis_server: PrivateRedis
) -> Iterator[str]:
    """The service as production runs it (one worker), docs on so the fuzzer can read them."""
    port = free_port()
    env = {
        **project_environment(),
        **all_on.env,
        "ENVIRONMENT": "production",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis_server.url,
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": PRODUCTION_ALLOWED_HOSTS,
        "METRICS_TOKEN": PRODUCTION_METRICS_TOKEN,
        "EMAIL_LINK_BASE_URL": "https://app.example.com",
        # Production names its relay; nothing listens there, so mails are logged as not sent.
        "SMTP_HOST": "127.0.0.1",
        "EMAIL_FROM": "noreply@app.example.com",
        "DOCS_ENABLED": "true",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DB_CONNECT_TIMEOUT_SECONDS": str(DB_CONNECT_TIMEOUT_SECONDS),
        "DB_POOL_TIMEOUT_SECONDS": "2",
        "HEALTH_CHECK_TIMEOUT_SECONDS": "1",
        "RATE_LIMIT_DEFAULT": "1000000/minute",
        "RATE_LIMIT_AUTH": "1000000/minute",
        "PASSWORD_HASH_CONCURRENCY": str(HASH_CONCURRENCY),
        "PASSWORD_HASH_QUEUE_LIMIT": str(HASH_QUEUE_LIMIT),
        "LOG_LEVEL": "WARNING",
        "HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT_SECONDS),
        "HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
        # start.sh creates this admin: the fuzzer reaches past the admin routes' 403.
        "FIRST_SUPERUSER_EMAIL": "fuzz-admin@example.com",
        "FIRST_SUPERUSER_USERNAME": "fuzzadmin",
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
    }
    process = subprocess.Popen(
        [UV, "run", "scripts/start.sh"],
        cwd=all_on.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process)  # type: ignore[arg-type]
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def token(service: str) -> str:
    user = {"email": "reliable@example.com", "username": "reliable", "password": PASSWORD}
    assert httpx.post(f"{service}/api/v1/auth/register", json=user).status_code == 201
    login = httpx.post(
        f"{service}/api/v1/auth/login", json={"username": "reliable", "password": PASSWORD}
    )
    return str(login.json()["access_token"])


@pytest.fixture(scope="module")
def admin_token(service: str) -> str:
    login = httpx.post(
        f"{service}/api/v1/auth/login", json={"username": "fuzzadmin", "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


def wait_for(condition: Callable[[], bool], limit_seconds: float) -> float:
    """Seconds until `condition` held; fails past `limit_seconds`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit_seconds:
            raise AssertionError(f"condition not met within {limit_seconds}s")
        time.sleep(0.05)
    return time.monotonic() - started


def readiness(base_url: str) -> httpx.Response:
    return httpx.get(f"{base_url}/health/detailed", timeout=10)


def test_fuzzing_the_whole_api_finds_no_server_error_and_no_schema_violation(
    service: str, admin_token: str, tmp_path: Path
) -> None:
    # An admin's token: every route, the admin-only ones included, is fuzzed past its auth.
    token = admin_token
    completed = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{service}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance,response_headers_conformance",
            "--max-examples",
            os.environ.get("TEMPLATE_FUZZ_EXAMPLES", "40"),
            "--seed",
            "20261125",
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache directory in its working directory
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = completed.stdout + completed.stderr
    cases = re.search(r"(\d+) generated", output)
    record("fuzz cases (schemathesis)", cases.group(1) if cases else "unknown")
    assert completed.returncode == 0, output[-8000:]


def test_database_outage_is_reported_fast_and_recovered_without_restart(
    service: str, token: str, postgres: PrivatePostgres
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{service}/api/v1/users/me", headers=auth).status_code == 200
    postgres.stop()
    try:
        detected = wait_for(lambda: readiness(service).status_code == 503, limit_seconds=2)
        body = readiness(service).json()
        assert body["status"] == "degraded"
        assert body["checks"]["database"]["status"] == "down"
        assert httpx.get(f"{service}/health").status_code == 200

        started = time.monotonic()
        me = httpx.get(f"{service}/api/v1/users/me", headers=auth, timeout=30)
        failed_in = time.monotonic() - started
        assert me.status_code == 503
        assert me.json()["detail"] == "Service temporarily unavailable"
        assert me.headers["retry-after"]
        assert failed_in <= DB_CONNECT_TIMEOUT_SECONDS + 1
        register = httpx.post(
            f"{service}/api/v1/auth/register",
            json={"email": "late@example.com", "username": "late", "password": PASSWORD},
            timeout=30,
        )
        assert register.status_code == 503
    finally:
        postgres.start()
    recovered = wait_for(lambda: readiness(service).status_code == 200, limit_seconds=30)
    me = httpx.get(f"{service}/api/v1/users/me", headers=auth)
    assert me.status_code == 200  # the write acknowledged before the outage survived it
    assert me.json()["username"] == "reliable"
    record("database outage detected by readiness", f"{detected:.2f}s")
    record("request needing the database during the outage failed in", f"{failed_in:.2f}s")
    record("recovered after the database came back", f"{recovered:.2f}s")


def test_redis_outage_bypasses_cache_closes_auth_follows_the_limiter_policy_and_recovers(
    service: str, token: str, admin_token: str, redis_server: PrivateRedis
) -> None:
    report = f"{service}/api/v1/reports/users"
    as_admin = {"Authorization": f"Bearer {admin_token}"}  # the report is for admins only
    first = httpx.get(report, headers=as_admin).json()
    assert httpx.get(report, headers=as_admin).json() == first  # served from the cache
    redis_server.stop()
    try:
        detected = wait_for(lambda: readiness(service).status_code == 503, limit_seconds=3)
        checks = readiness(service).json()["checks"]
        assert checks["redis"]["status"] == "down"
        assert checks["database"]["status"] == "up"
        uncached = httpx.get(report, headers=as_admin, timeout=10)
        assert uncached.status_code == 200  # cache bypassed, not an error
        # Without its counters the login limit cannot hold: the credential routes' stricter
        # limit (rate_limit_credentials) fails closed...
        login = httpx.post(
            f"{service}/api/v1/auth/login",
            json={"username": "reliable", "password": PASSWORD},
            timeout=10,
        )
        assert login.status_code == 503
        assert login.headers["retry-after"]
        assert login.json()["detail"] == "Service temporarily unavailable"
        # ...while the other routes follow RATE_LIMIT_FAIL_OPEN (true in production).
        me = httpx.get(
            f"{service}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200
        queued = httpx.post(
            f"{service}/api/v1/notifications",
            json={"subject": "s", "body": "b"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert queued.status_code == 503  # the queue is Redis: honest, not a 500
    finally:
        redis_server.start()
    recovered = wait_for(lambda: readiness(service).status_code == 200, limit_seconds=30)
    again = httpx.get(report, headers=as_admin).json()
    assert httpx.get(report, headers=as_admin).json() == again
    record("redis outage detected by readiness", f"{detected:.2f}s")
    record("recovered after redis came back", f"{recovered:.2f}s")


async def _login_burst(
    service: str,
) -> tuple[list[httpx.Response | BaseException], httpx.Response, float]:
    """LOGIN_BURST logins of unknown users at once, and a real user's login in their midst."""
    url = f"{service}/api/v1/auth/login"
    limits = httpx.Limits(max_connections=LOGIN_BURST + 1)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        burst = [
            asyncio.ensure_future(
                client.post(url, json={"username": f"stranger{n}", "password": PASSWORD})
            )
            for n in range(LOGIN_BURST)
        ]
        await asyncio.sleep(0.05)  # the burst is in flight
        started = time.monotonic()
        real = await client.post(url, json={"username": "reliable", "password": PASSWORD})
        real_seconds = time.monotonic() - started
        answers = await asyncio.gather(*burst, return_exceptions=True)
    return list(answers), real, real_seconds


def test_a_login_burst_past_the_hashing_queue_gets_quick_503s_not_a_long_queue(
    service: str, token: str
) -> None:
    answers, real, real_seconds = asyncio.run(_login_burst(service))

    errors = [answer for answer in answers if isinstance(answer, BaseException)]
    responses = [answer for answer in answers if isinstance(answer, httpx.Response)]
    assert errors == []
    statuses = [response.status_code for response in responses]
    refused = [response for response in responses if response.status_code == 503]
    assert set(statuses) <= {401, 503}, statuses
    assert refused, f"{LOGIN_BURST} logins over a gate of {HASH_CONCURRENCY + HASH_QUEUE_LIMIT}"
    assert all(response.headers.get("retry-after") for response in refused)
    assert all(response.json()["request_id"] for response in refused)
    assert real.status_code in {200, 503}
    record(
        f"login burst ({LOGIN_BURST} at once, gate {HASH_CONCURRENCY}+{HASH_QUEUE_LIMIT})",
        f"{len(refused)} refused with 503, {statuses.count(401)} checked",
    )
    record("real user's login during the burst", f"{real.status_code} in {real_seconds:.2f}s")


@pytest.mark.parametrize("target", ["/health", "/api/v1/users/me"])
def test_bounded_load_has_no_errors(service: str, token: str, target: str) -> None:
    headers = {"Authorization": f"Bearer {token}"} if target != "/health" else {}
    figures = load(f"{service}{target}", LOAD_SECONDS, headers=headers, connections=64)

    assert figures.requests > 0, figures
    assert figures.errors == 0, f"{figures.errors} transport errors or timeouts: {figures}"
    assert figures.non_2xx == 0, f"{figures.non_2xx} non-2xx answers: {figures}"
    record(
        f"load {target} (python, 64 connections, {LOAD_SECONDS}s)",
        f"{figures.requests} requests, {figures.rps:.0f} req/s, p50 {figures.p50_ms:.1f} ms, "
        f"p99 {figures.p99_ms:.1f} ms",
    )


def test_oversized_and_slow_request_heads_are_cut_off(service: str) -> None:
    port = int(service.rsplit(":", 1)[1])
    pid = server_pid(port)
    assert pid is not None

    assert status(exchange(port, oversized_header(2_000_000))) == 431
    assert status(exchange(port, many_fields(20_000))) == 431
    answer, closed_after = dribble(port, every_seconds=0.5, wait_seconds=30)
    assert status(answer) == 408
    assert closed_after < HEADER_TIMEOUT_SECONDS + 10  # generous: a bound, not a timing

    # Ten unfinished 20 MB headers at once: each is refused after the first few reads.
    before = rss_mib(pid)
    with ThreadPoolExecutor(max_workers=10) as pool:
        unfinished = oversized_header(20_000_000, finished=False)
        answers = list(pool.map(lambda _: exchange(port, unfinished), range(10)))
    after = rss_mib(pid)
    assert [status(answer) for answer in answers] == [431] * 10
    assert after - before < 64, f"RSS grew from {before:.0f} to {after:.0f} MiB"
    record(
        "RSS around ten unfinished 20 MB headers",
        f"{before:.0f} MiB before, {after:.0f} MiB after",
    )


def test_a_dribbled_request_body_is_cut_off(service: str) -> None:
    """The body has HTTP_BODY_TIMEOUT_SECONDS after its headers, however steadily it trickles."""
    port = int(service.rsplit(":", 1)[1])

    # The login route waits for the body; a byte every half second would take 14 hours.
    answer, closed_after = dribble(
        port, every_seconds=0.5, wait_seconds=30, start=unfinished_body("/api/v1/auth/login")
    )

    assert status(answer) == 408, answer[:300]
    assert b'"detail": "Request body not received in time"' in answer
    assert closed_after < BODY_TIMEOUT_SECONDS + 10  # generous: a bound, not a timing
    record("dribbled request body", f"408, connection closed after {closed_after:.1f}s")
