"""Routers are served flat (app/api/serving.py): the same routes and OpenAPI document as
FastAPI's own include, one route match per request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.routing import APIRoute
from httpx import ASGITransport, AsyncClient

from app.api.health import router as health_router
from app.api.routes import versioned_router
from app.api.serving import can_flatten, serve
from app.core.config import API_V1_PREFIX
from app.main import operation_id


def _application(flat: bool) -> FastAPI:
    application = FastAPI(generate_unique_id_function=operation_id)
    for router, prefix in ((health_router, ""), (versioned_router(), API_V1_PREFIX)):
        if flat:
            serve(application.router, router, prefix=prefix)
        else:
            application.include_router(router, prefix=prefix)
    return application


def test_the_flat_application_documents_exactly_what_the_nested_include_does() -> None:
    flat, nested = _application(flat=True), _application(flat=False)

    assert flat.openapi() == nested.openapi()
    # FastAPI's own document and docs pages are plain routes; every route of ours is an APIRoute.
    assert {type(route).__name__ for route in flat.router.routes} == {"APIRoute", "Route"}


def test_the_services_routes_sit_on_the_applications_own_router(app: FastAPI) -> None:
    served = {route.path for route in app.router.routes if isinstance(route, APIRoute)}

    assert f"{API_V1_PREFIX}/users/me" in served
    assert {route.path for route in health_router.routes if isinstance(route, APIRoute)} <= served
    # Anything else would be a branch FastAPI matches again on every request.
    assert {type(route).__name__ for route in app.router.routes} <= {"APIRoute", "Route", "Mount"}


def _router_with_a_websocket() -> APIRouter:
    router = APIRouter(prefix="/live", tags=["live"])

    @router.get("/status")
    async def status() -> dict[str, str]:
        return {"state": "up"}

    @router.websocket("/feed")
    async def feed(socket: WebSocket) -> None:
        await socket.close()

    return router


def _router_including_another() -> APIRouter:
    inner = APIRouter(prefix="/inner", tags=["inner"])

    @inner.get("/ping", responses={418: {"description": "A teapot"}})
    async def ping() -> dict[str, Any]:
        return {"pong": True}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)
    return outer


async def test_a_router_that_cannot_be_flattened_is_included_and_served() -> None:
    websocket, nesting = _router_with_a_websocket(), _router_including_another()
    assert not can_flatten(websocket)
    assert not can_flatten(nesting)
    application = FastAPI()
    serve(application.router, websocket, prefix="/v9")
    serve(application.router, nesting, prefix="/v9")

    async with AsyncClient(
        transport=ASGITransport(app=application), base_url="http://test"
    ) as client:
        assert (await client.get("/v9/live/status")).json() == {"state": "up"}
        assert (await client.get("/v9/outer/inner/ping")).json() == {"pong": True}
    paths = application.openapi()["paths"]
    assert paths["/v9/outer/inner/ping"]["get"]["responses"]["418"]["description"] == "A teapot"


async def test_a_flattened_router_keeps_its_prefix_tags_responses_and_status() -> None:
    router = APIRouter(prefix="/orders", tags=["orders"], responses={409: {"description": "Taken"}})

    @router.post("", status_code=201, summary="Place an order")
    async def place() -> dict[str, str]:
        return {"placed": "yes"}

    assert can_flatten(router)
    flat, nested = FastAPI(), FastAPI()
    serve(flat.router, router, prefix="/v2")
    nested.include_router(router, prefix="/v2")

    assert flat.openapi() == nested.openapi()
    async with AsyncClient(transport=ASGITransport(app=flat), base_url="http://test") as client:
        response = await client.post("/v2/orders")
    assert (response.status_code, response.json()) == (201, {"placed": "yes"})
