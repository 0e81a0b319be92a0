"""Routers served flat: their routes added to the application's own router.

FastAPI keeps an included router as a nested branch that is matched on every request, twice per
level (once to choose the branch, once inside it): `/api/v1/users/me` behind the versioned
router and the users router ran about 27 route matches per request, about a quarter of the
CPU that request cost in-process (the template's benchmarks). Adding each route to the application's
router with its full path gives the same routes, operation ids and OpenAPI document, one match
each.

A router this cannot flatten faithfully (it includes routers of its own, holds non-API routes
such as websockets or mounts, or has startup, shutdown or lifespan handlers) is included as
FastAPI includes it.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


def can_flatten(router: APIRouter) -> bool:
    return (
        all(type(route) is APIRoute for route in router.routes)
        and not router.on_startup
        and not router.on_shutdown
        and type(router.lifespan_context).__name__ == "_DefaultLifespan"
    )


def serve(target: APIRouter, router: APIRouter, *, prefix: str = "") -> None:
    """Serve `router`'s routes under `prefix`, as `target.include_router(router, prefix=...)`
    would, flat where `can_flatten` allows."""
    if not can_flatten(router):
        target.include_router(router, prefix=prefix)
        return
    for route in router.routes:
        if not isinstance(route, APIRoute):  # can_flatten saw to it; this narrows the type
            continue
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
            responses=route.responses,
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
        )
