from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.api.deps import get_readiness_probe
from app.bootstrap.settings import TestingSettings
from app.core.errors import DependencyDownError
from app.services.health_service import HealthCheck, ReadinessProbe, check_readiness
from tests.support import UNREACHABLE_DATABASE_URL, client_for, started_app


async def test_liveness_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_readiness_is_healthy_when_the_database_answers(client: AsyncClient) -> None:
    response = await client.get("/health/detailed")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["database"]["error"] is None


async def test_readiness_is_degraded_and_liveness_ok_when_the_database_is_down() -> None:
    settings = TestingSettings(DATABASE_URL=UNREACHABLE_DATABASE_URL)
    async with started_app(settings) as app, client_for(app) as client:
        readiness = await client.get("/health/detailed")
        liveness = await client.get("/health")

    assert readiness.status_code == 503
    body = readiness.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "down"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert liveness.status_code == 200


async def test_a_dependency_known_to_be_down_is_logged_in_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def provider_down() -> None:
        raise DependencyDownError("no signing key of the provider is available")

    async def broken() -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.WARNING, logger="app.services.health_service"):
        readiness = await check_readiness({"provider": provider_down, "other": broken}, 1.0)

    assert readiness.status == "degraded"
    assert readiness.checks["provider"].error == "DependencyDownError"
    by_message = {record.getMessage(): record for record in caplog.records}
    known = by_message["health check provider failed: no signing key of the provider is available"]
    assert known.exc_info is None
    # Anything else still logs its traceback: that is a bug to find.
    assert by_message["health check other failed"].exc_info is not None


async def test_readiness_reports_a_check_that_exceeds_its_timeout(
    app: FastAPI, client: AsyncClient
) -> None:
    async def hanging_check() -> None:
        await asyncio.sleep(60)

    probe = ReadinessProbe({"database": hanging_check}, limit_seconds=0.05, reuse_seconds=0)
    app.dependency_overrides[get_readiness_probe] = lambda: probe

    response = await client.get("/health/detailed")

    assert response.status_code == 503
    check = response.json()["checks"]["database"]
    assert check["status"] == "down"
    assert check["error"] == "timed out after 0.05s"
    assert check["latency_ms"] < 5000


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_check(calls: list[int]) -> HealthCheck:
    async def check() -> None:
        calls.append(1)
        await asyncio.sleep(0.01)  # long enough for every probe to arrive while it runs

    return check


async def test_a_flood_of_readiness_probes_costs_one_check_per_interval(
    app: FastAPI, client: AsyncClient
) -> None:
    calls: list[int] = []
    clock = FakeClock()
    probe = ReadinessProbe(
        {"database": counting_check(calls)}, limit_seconds=1, reuse_seconds=1, clock=clock
    )
    app.dependency_overrides[get_readiness_probe] = lambda: probe

    flood = await asyncio.gather(*(client.get("/health/detailed") for _ in range(50)))
    clock.now += 0.5
    reused = await client.get("/health/detailed")
    checked_during_the_interval = len(calls)
    clock.now += 0.6
    fresh = await client.get("/health/detailed")

    assert {response.status_code for response in flood} == {200}
    assert reused.status_code == 200
    assert checked_during_the_interval == 1
    assert fresh.status_code == 200
    assert len(calls) == 2


async def test_without_reuse_every_probe_after_a_check_checks_again() -> None:
    calls: list[int] = []
    probe = ReadinessProbe({"database": counting_check(calls)}, limit_seconds=1, reuse_seconds=0)

    await asyncio.gather(*(probe.check() for _ in range(5)))  # these share one in flight
    await probe.check()

    assert len(calls) == 2


async def test_a_probe_that_gives_up_does_not_cancel_the_shared_check() -> None:
    calls: list[int] = []
    probe = ReadinessProbe({"database": counting_check(calls)}, limit_seconds=1, reuse_seconds=1)

    impatient = asyncio.create_task(probe.check())
    await asyncio.sleep(0)
    impatient.cancel()
    report = await probe.check()

    assert report.status == "healthy"
    assert len(calls) == 1
