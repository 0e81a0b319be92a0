"""Login must not reveal whether an account exists through its response time.

Timings of "wrong password for an existing user" and "unknown user" are taken in pairs, back to
back, and compared with an equivalence test: the 99% confidence interval of the mean paired
difference (trimmed) must lie within +/-10% of a login's duration. Pairing cancels the drift of
a busy machine. Any real difference becomes "significant" with
enough samples (loading a found user row costs a little), so the test asks whether it is too
small to matter, not whether it is zero. The same measurement without the decoy verification
must fall clearly outside the margin, which shows the test can see a leak when there is one.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.bootstrap.settings import AppSettings
from app.core.security import PasswordHasher
from tests.support import PASSWORD, client_for, started_app, user_payload

SAMPLES = 80
MARGIN = 0.10
Z_99 = 2.576
# Costlier than the other tests' hashing, so that, as in production, Argon2 dominates a login.
TIMED_HASHING = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_COST_KIB": 8192}


def _trimmed(values: list[float], fraction: float = 0.1) -> list[float]:
    """Without the highest and lowest tenth: pauses of the machine, not of the code."""
    cut = int(len(values) * fraction)
    return sorted(values)[cut : len(values) - cut]


def relative_difference_interval(first: list[float], second: list[float]) -> tuple[float, float]:
    """99% confidence interval of the mean of first[i] - second[i], relative to second's mean."""
    differences = _trimmed([a - b for a, b in zip(first, second, strict=True)])
    mean = statistics.fmean(differences)
    error = statistics.stdev(differences) / math.sqrt(len(differences))
    base = statistics.fmean(_trimmed(second))
    return (mean - Z_99 * error) / base, (mean + Z_99 * error) / base


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
async def timed_app(settings: AppSettings) -> AsyncIterator[FastAPI]:
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

    low, high = relative_difference_interval(existing, unknown)
    assert -MARGIN < low <= high < MARGIN, (low, high)


async def test_the_comparison_detects_a_leak_when_the_decoy_is_skipped(
    timed_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_decoy(self: PasswordHasher, password: str) -> None:
        return None

    monkeypatch.setattr(PasswordHasher, "verify_decoy", no_decoy)
    async with client_for(timed_app) as client:
        existing, unknown = await _login_times(client)

    low, _high = relative_difference_interval(existing, unknown)
    assert low > MARGIN, low


def test_the_interval_brackets_equal_samples_and_excludes_shifted_ones() -> None:
    base = [1.0 + (value % 7) / 100 for value in range(40)]
    shifted = [value * 1.2 for value in base]

    low, high = relative_difference_interval(base, list(reversed(base)))
    assert -MARGIN < low <= 0 <= high < MARGIN
    assert relative_difference_interval(shifted, base)[0] > MARGIN
