"""Routers served flat: their routes added to the application's own router.

FastAPI keeps an included router as a nested branch that is matched on every request, twice per
level (once to choose the branch, once inside it): `/api/v1/users/me` behind the versioned
router and the users router ran about 27 route matches per request, about a quarter of the
CPU that request cost in-process (the template's benchmarks). Adding each route to the application's
router with its full path gives the same routes, operation ids and OpenAPI document, one match
each.

Routes are still tried one by one, in order, on every request: each served route first compares
the path with its literal beginning (`/api/v1/items/` for `/api/v1/items/{item_id}`) and runs
its regular expression only when that matches, so a route a request cannot be for costs one
string comparison (a third of a full match), however many routes a service adds.

A router this cannot flatten faithfully (it includes routers of its own, holds non-API routes
such as websockets or mounts, or has startup, shutdown or lifespan handlers) is included as
FastAPI includes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match, Route
from starlette.types import Scope

from app.api.responses import without_error_models


class _LiteralPrefixFirst(Route):
    """Starlette's matching, after a cheap refusal of a path that cannot match. It sits after
    APIRoute in ServedRoute's method order: FastAPI's own matching (an included router's
    context) runs first and reaches this only for the route's own path."""

    _literal_prefix: str

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Behind a root_path the route path is the path less that prefix: left to Starlette.
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self._literal_prefix)
        ):
            return Match.NONE, {}
        return super().matches(scope)


class ServedRoute(APIRoute, _LiteralPrefixFirst):
    """An APIRoute that refuses a request for another path with one string comparison."""

    # The responses whose ErrorResponse body the OpenAPI document gets from
    # app/api/responses.py instead of a validator built on the route.
    error_body_codes: frozenset[str] = frozenset()

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # Everything before the first parameter is matched literally by the route's pattern.
        self._literal_prefix = path.split("{", 1)[0]


def can_flatten(router: APIRouter) -> bool:
    return (
        all(type(route) in (APIRoute, ServedRoute) for route in router.routes)
        and not router.on_startup
        and not router.on_shutdown
        and type(router.lifespan_context).__name__ == "_DefaultLifespan"
    )


def combine(routers: Iterable[APIRouter]) -> APIRouter:
    """One router holding `routers`' routes as they are, for `serve` to add to the application:
    each route is built once there (building one resolves its dependencies and models, most of
    the cost of creating the application), not once here and once again there."""
    combined = APIRouter()
    for router in routers:
        if can_flatten(router):
            combined.routes.extend(router.routes)
        else:
            combined.include_router(router)
    return combined


def serve(target: APIRouter, router: APIRouter, *, prefix: str = "") -> None:
    """Serve `router`'s routes under `prefix`, as `target.include_router(router, prefix=...)`
    would, flat where `can_flatten` allows."""
    if not can_flatten(router):
        target.include_router(router, prefix=prefix)
        return
    for route in router.routes:
        if not isinstance(route, APIRoute):  # can_flatten saw to it; this narrows the type
            continue
        responses, error_body_codes = without_error_models(route.responses)
        target.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits,
            route_class_override=ServedRoute,
        )
        served = target.routes[-1]
        if isinstance(served, ServedRoute):
            served.error_body_codes = error_body_codes
