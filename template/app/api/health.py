from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import ReadinessProbeDep
from app.schemas.health import Liveness, Readiness

router = APIRouter(prefix="/health", tags=["health"])

_NO_STORE = {"Cache-Control": "no-store"}


# Serialised once: probes call this several times a second on every instance.
_LIVENESS_BODY = Liveness().model_dump_json().encode()


@router.get(
    "",
    summary="Liveness: the process answers; touches no dependency",
    response_model=Liveness,
)
async def liveness() -> Response:
    return Response(_LIVENESS_BODY, media_type="application/json", headers=_NO_STORE)


@router.get(
    "/detailed",
    summary="Readiness: every dependency answers within its timeout",
    description="The result may be up to HEALTH_CHECK_CACHE_SECONDS old: probes share checks.",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": Readiness}},
)
async def readiness(response: Response, probe: ReadinessProbeDep) -> Readiness:
    report = await probe.check()
    response.headers.update(_NO_STORE)
    if report.status != "healthy":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
