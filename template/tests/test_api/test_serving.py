"""Routers are served flat (app/api/serving.py): the same routes and OpenAPI document as
FastAPI's own include, one route match per request."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.routing import APIRoute
from httpx import ASGITransport, AsyncClient

from app.api.health import router as health_router
from app.api.responses import ERROR_RESPONSES, document_error_responses
from app.api.routes import versioned_router
from app.api.serving import can_flatten, combine, serve
from app.core.config import API_V1_PREFIX
from app.main import operation_id
from tests.support import client_for


def _application(flat: bool) -> FastAPI:
    # FastAPI's own way: the errors every operation may return declared on the application;
    # the service's: served routes leave their error bodies to the document (app/api/responses.py)
    application = FastAPI(
        generate_unique_id_function=operation_id, responses=None if flat else ERROR_RESPONSES
    )
    if flat:
        document_error_responses(application)
    for router, prefix in ((health_router, ""), (versioned_router(), API_V1_PREFIX)):
        if flat:
            serve(application.router, router, prefix=prefix)
        else:
            application.include_router(router, prefix=prefix)
    return application


def test_the_flat_application_documents_exactly_what_the_nested_include_does() -> None:
    flat, nested = _application(flat=True), _application(flat=False)

    # As text: the same responses in the same order, the schemas included.
    assert json.dumps(flat.openapi()) == json.dumps(nested.openapi())
    # FastAPI's own document and docs pages are plain routes; every route of ours is served.
    assert {type(route).__name__ for route in flat.router.routes} == {"ServedRoute", "Route"}


def test_the_services_routes_sit_on_the_applications_own_router(app: FastAPI) -> None:
    served = {route.path for route in app.router.routes if isinstance(route, APIRoute)}

    assert f"{API_V1_PREFIX}/users/me" in served
    assert {route.path for route in health_router.routes if isinstance(route, APIRoute)} <= served
    # Anything else would be a branch FastAPI matches again on every request.
    kinds = {type(route).__name__ for route in app.router.routes}
    assert kinds <= {"ServedRoute", "Route", "Mount"}


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


async def test_combining_routers_builds_no_route_of_its_own() -> None:
    """Building a route resolves its dependencies and models, most of what creating the
    application costs: `combine` hands the routers' routes on as they are, and `serve` builds
    each once, for the application."""
    orders, live = APIRouter(prefix="/orders"), _router_with_a_websocket()

    @orders.get("")
    async def listed() -> list[str]:
        return []

    combined = combine([orders, live])
    application = FastAPI()
    serve(application.router, combined, prefix="/v9")

    assert combined.routes[0] is orders.routes[0]
    # The router that cannot be flattened is included as FastAPI includes it, and served.
    assert not can_flatten(combined)
    async with AsyncClient(
        transport=ASGITransport(app=application), base_url="http://test"
    ) as client:
        assert (await client.get("/v9/orders")).json() == []
        assert (await client.get("/v9/live/status")).json() == {"state": "up"}


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

    # As text: the same responses in the same order, the schemas included.
    assert json.dumps(flat.openapi()) == json.dumps(nested.openapi())
    async with AsyncClient(transport=ASGITransport(app=flat), base_url="http://test") as client:
        response = await client.post("/v2/orders")
    assert (response.status_code, response.json()) == (201, {"placed": "yes"})


def _router_of_things() -> APIRouter:
    router = APIRouter(prefix="/things", tags=["things"])

    @router.get("")
    async def things() -> list[str]:
        return ["one"]

    @router.get("/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"thing_id": thing_id}

    return router


async def test_served_routes_answer_every_path_as_the_nested_include_does() -> None:
    flat, nested = FastAPI(), FastAPI()
    serve(flat.router, _router_of_things(), prefix="/v9")
    nested.include_router(_router_of_things(), prefix="/v9")
    requests = [
        ("GET", "/v9/things"),
        ("GET", "/v9/things/7"),
        ("GET", "/v9/things/seven"),  # 422: the pattern matched, the type did not
        ("POST", "/v9/things/7"),  # 405: the path matched, the method did not
        ("GET", "/v9/things/"),  # redirected to the path without the slash
        ("GET", "/v9/thing"),
        ("GET", "/v9"),
    ]

    async def answers(application: FastAPI, root_path: str = "") -> list[tuple[int, str]]:
        transport = ASGITransport(app=application, root_path=root_path)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                (response.status_code, response.headers.get("location", ""))
                for response in [
                    await client.request(method, root_path + path) for method, path in requests
                ]
            ]

    assert await answers(flat) == await answers(nested)
    assert [status for status, _ in await answers(flat)] == [200, 200, 422, 405, 307, 404, 404]
    # Behind a proxy that serves the API under a path prefix.
    assert await answers(flat, root_path="/edge") == await answers(nested, root_path="/edge")


class _CountingPattern:
    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.calls = 0

    def match(self, path: str) -> Any:
        self.calls += 1
        return self.pattern.match(path)


async def test_a_route_a_request_cannot_be_for_never_runs_its_pattern(app: FastAPI) -> None:
    counted: list[tuple[APIRoute, _CountingPattern]] = []
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path.startswith(API_V1_PREFIX):
            pattern = _CountingPattern(route.path_regex)
            route.path_regex = pattern  # type: ignore[assignment]
            counted.append((route, pattern))
    async with client_for(app) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get(f"{API_V1_PREFIX}/users/me")).status_code == 401

    # /health passed every versioned route; /users/me ran only the patterns of routes it could
    # be for (the routes before it whose path begins like its own), its own included.
    users = f"{API_V1_PREFIX}/users"
    assert all(pattern.calls == 0 for route, pattern in counted if not route.path.startswith(users))
    me = next(
        pattern
        for route, pattern in counted
        if route.path == f"{API_V1_PREFIX}/users/me" and "GET" in (route.methods or ())
    )
    assert me.calls == 1
