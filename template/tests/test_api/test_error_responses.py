"""The errors any request may get are documented on every operation (app/api/responses.py),
added to the OpenAPI document instead of declared on the application: the same document."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.health import router as health_router
from app.api.responses import document_error_responses
from app.api.routes import versioned_router
from app.api.serving import serve
from app.core.config import API_V1_PREFIX
from app.main import operation_id
from app.schemas.error import ErrorResponse


def _application() -> FastAPI:
    application = FastAPI(generate_unique_id_function=operation_id)
    document_error_responses(application)
    for router, prefix in ((health_router, ""), (versioned_router(), API_V1_PREFIX)):
        serve(application.router, router, prefix=prefix)
    return application


# The document equals, as text, the one FastAPI writes with the errors declared on the
# application and the routers included its own way: tests/test_api/test_serving.py.


def test_the_served_routes_build_no_validator_for_the_error_body() -> None:
    routers = (health_router, versioned_router())

    def error_validators(routes: Iterable[BaseRoute]) -> int:
        return sum(
            field.field_info.annotation is ErrorResponse
            for route in routes
            if isinstance(route, APIRoute)
            for field in route.response_fields.values()
        )

    assert error_validators(route for router in routers for route in router.routes) > 0
    assert error_validators(_application().routes) == 0


def test_the_document_is_built_once_and_kept() -> None:
    application = _application()

    assert application.openapi() is application.openapi()
