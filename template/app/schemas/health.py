from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class CheckResult(BaseModel):
    status: Literal["up", "down"]
    latency_ms: float
    error: str | None = None


class Readiness(BaseModel):
    status: Literal["healthy", "degraded"]
    checks: dict[str, CheckResult]
