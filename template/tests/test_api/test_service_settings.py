"""`ServiceSettingsDep` hands a route the app's one settings object, typed as the service's own
class, so a field a team adds to `ServiceSettings` is read without a cast."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.api.deps import ServiceSettingsDep
from app.bootstrap.settings import TestingSettings
from app.core.service_settings import ServiceSettings
from tests.support import UNREACHABLE_DATABASE_URL


async def test_a_route_reads_the_apps_settings_as_the_services_own() -> None:
    settings = TestingSettings(DATABASE_URL=UNREACHABLE_DATABASE_URL)
    app = FastAPI()
    app.state.settings = settings
    seen: list[ServiceSettings] = []

    @app.get("/settings")
    async def read(service_settings: ServiceSettingsDep) -> dict[str, str]:
        seen.append(service_settings)
        return {"project": service_settings.PROJECT_NAME}

    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/settings")

    assert response.json() == {"project": settings.PROJECT_NAME}
    assert seen == [settings]
    assert isinstance(settings, ServiceSettings)
