"""Login must not reveal whether an account exists through its response time.

Timings of "wrong password for an existing user" and "unknown user" are compared with a
Mann-Whitney U test: the samples must be indistinguishable. The same measurement without the
decoy verification must be told apart, which shows the test can see a leak when there is one.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.config import TestingSettings
from app.core.security import PasswordHasher
from tests.support import PASSWORD, client_for, started_app, user_payload

SAMPLES = 40
# Costlier than the other tests' hashing, so that, as in production, Argon2 dominates a login.
TIMED_HASHING = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_COST_KIB": 8192}


def mann_whitney_p_value(first: list[float], second: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected)."""
    labelled = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks = [0.0] * len(labelled)
    tie_term = 0.0
    start = 0
    while start < len(labelled):
        end = start
        while end + 1 < len(labelled) and labelled[end + 1][0] == labelled[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        tied = end - start + 1
        tie_term += tied**3 - tied
        start = end + 1
    n1, n2 = len(first), len(second)
    rank_sum = sum(rank for rank, (_, group) in zip(ranks, labelled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    total = n1 + n2
    variance = n1 * n2 / 12 * ((total + 1) - tie_term / (total * (total - 1)))
    z = (u - mean) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


async def _login_times(client: AsyncClient) -> tuple[list[float], list[float]]:
    existing: list[float] = []
    unknown: list[float] = []
    for attempt in range(SAMPLES):
        pair = [("testuser", existing), (f"nobody{attempt}", unknown)]
        # Interleaved, alternating who goes first, so machine load touches both samples alike.
        for name, times in pair if attempt % 2 else reversed(pair):
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/auth/login", json={"username": name, "password": "WrongPass123"}
            )
            times.append(time.perf_counter() - started)
            assert response.status_code == 401
    return existing, unknown


@pytest.fixture
async def timed_app(settings: TestingSettings) -> AsyncIterator[FastAPI]:
    async with started_app(settings.model_copy(update=TIMED_HASHING)) as app:
        async with client_for(app) as client:
            registered = await client.post("/api/v1/auth/register", json=user_payload())
            assert registered.status_code == 201
            # Warm-up: the first requests pay for imports and connections, not for the login.
            for _ in range(3):
                await client.post(
                    "/api/v1/auth/login", json={"username": "x", "password": PASSWORD}
                )
        yield app


async def test_login_time_does_not_reveal_whether_the_user_exists(timed_app: FastAPI) -> None:
    async with client_for(timed_app) as client:
        existing, unknown = await _login_times(client)

    assert mann_whitney_p_value(existing, unknown) > 0.001


async def test_the_comparison_detects_a_leak_when_the_decoy_is_skipped(
    timed_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_decoy(self: PasswordHasher, password: str) -> None:
        return None

    monkeypatch.setattr(PasswordHasher, "verify_decoy", no_decoy)
    async with client_for(timed_app) as client:
        existing, unknown = await _login_times(client)

    assert mann_whitney_p_value(existing, unknown) < 0.001


def test_the_statistic_separates_shifted_samples_and_not_equal_ones() -> None:
    same = [float(value % 7) for value in range(40)]
    shifted = [value + 10 for value in same]

    assert mann_whitney_p_value(same, list(reversed(same))) > 0.9
    assert mann_whitney_p_value(same, shifted) < 1e-6
