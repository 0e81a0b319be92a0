"""The errors any request may get are documented on every operation (app/api/responses.py),
added to the OpenAPI document instead of declared on the application: the same document."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.health import router as health_router
from app.api.responses import ERROR_RESPONSES, document_error_responses
from app.api.routes import versioned_router
from app.api.serving import serve
from app.core.config import API_V1_PREFIX
from app.main import operation_id


def _application(*, declared: bool) -> FastAPI:
    application = FastAPI(
        generate_unique_id_function=operation_id, responses=ERROR_RESPONSES if declared else None
    )
    if not declared:
        document_error_responses(application)
    for router, prefix in ((health_router, ""), (versioned_router(), API_V1_PREFIX)):
        serve(application.router, router, prefix=prefix)
    return application


def test_the_document_is_the_one_fastapi_writes_for_application_wide_responses() -> None:
    added, declared = _application(declared=False), _application(declared=True)

    # As text: the same responses in the same order, the error model's schema included.
    assert json.dumps(added.openapi()) == json.dumps(declared.openapi())


def test_the_routes_build_no_validator_for_the_documented_errors() -> None:
    added, declared = _application(declared=False), _application(declared=True)
    routes = [route for route in added.routes if isinstance(route, APIRoute)]

    # Declared on the application, each error a route does not declare itself is one more
    # response validator on that route, built when the route is.
    gained = sum(len(set(ERROR_RESPONSES) - set(route.responses)) for route in routes)
    assert gained > 0
    assert _validators(declared) - _validators(added) == gained


def _validators(application: FastAPI) -> int:
    return sum(
        len(route.response_fields) for route in application.routes if isinstance(route, APIRoute)
    )


def test_the_document_is_built_once_and_kept() -> None:
    application = _application(declared=False)

    assert application.openapi() is application.openapi()
