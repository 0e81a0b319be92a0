from __future__ import annotations

import asyncio

from fastapi import FastAPI
from httpx import AsyncClient

from app.api.deps import get_health_checks
from app.bootstrap.settings import TestingSettings
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


async def test_readiness_reports_a_check_that_exceeds_its_timeout(
    app: FastAPI, client: AsyncClient
) -> None:
    async def hanging_check() -> None:
        await asyncio.sleep(60)

    app.dependency_overrides[get_health_checks] = lambda: {"database": hanging_check}
    app.state.settings = app.state.settings.model_copy(
        update={"HEALTH_CHECK_TIMEOUT_SECONDS": 0.05}
    )

    response = await client.get("/health/detailed")

    assert response.status_code == 503
    check = response.json()["checks"]["database"]
    assert check["status"] == "down"
    assert check["error"] == "timed out after 0.05s"
    assert check["latency_ms"] < 5000
