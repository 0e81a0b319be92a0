from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import HealthChecksDep, SettingsDep
from app.schemas.health import Liveness, Readiness
from app.services.health_service import check_readiness

router = APIRouter(prefix="/health", tags=["health"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get("", summary="Liveness: the process answers; touches no dependency")
async def liveness(response: Response) -> Liveness:
    response.headers.update(_NO_STORE)
    return Liveness()


@router.get(
    "/detailed",
    summary="Readiness: every dependency answers within its timeout",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Readiness}},
)
async def readiness(
    response: Response, checks: HealthChecksDep, settings: SettingsDep
) -> Readiness:
    report = await check_readiness(checks, settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    response.headers.update(_NO_STORE)
    if report.status != "healthy":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
