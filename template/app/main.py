"""The application: settings, logging, middleware, routers and error handlers put together.

With app/bootstrap/ (settings, lifespan, the integrations list, gunicorn) this is the one place
that knows every layer; nothing under app/ imports it.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api.docs import DOCS_PATHS, install_docs
from app.api.health import router as health_router
from app.api.responses import document_error_responses
from app.api.routes import versioned_router
from app.api.serving import serve
from app.bootstrap import service_wiring
from app.bootstrap.integrations import ENABLED as INTEGRATIONS
from app.bootstrap.integrations import Integration
from app.bootstrap.lifespan import lifespan
from app.bootstrap.settings import AppSettings, get_settings
from app.core.config import API_V1_PREFIX
from app.core.config_loading import ConfigurationError
from app.core.edge import ANY
from app.core.hooks import LifespanHook, request_observers
from app.core.logging import setup_logging
from app.middleware.access_log import AccessLogMiddleware
from app.middleware.body_limit import BodySizeLimitMiddleware
from app.middleware.cors import CORSMiddleware
from app.middleware.exception_handlers import install_exception_handlers
from app.middleware.request_id import REQUEST_ID_HEADER, RequestIdMiddleware
from app.middleware.security_headers import SecurityHeadersMiddleware
from app.middleware.trusted_host import TrustedHostMiddleware
from app.middleware.unhandled_errors import UnhandledErrorMiddleware


def operation_id(route: APIRoute) -> str:
    """Stable operation ids ("auth-login") so generated API clients get readable names."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: AppSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    docs = settings.DOCS_ENABLED
    app = FastAPI(
        title=settings.PROJECT_NAME,
        version=settings.VERSION,
        debug=False,
        lifespan=lifespan,
        # FastAPI's docs pages load their assets from a CDN: install_docs serves its own.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        generate_unique_id_function=operation_id,
        # OpenTelemetry belongs to the `tracing` option (its spans, exclusions and log fields).
        # FastAPI's own telemetry would look up the global providers on every request, and
        # stand aside for the tracing option's middleware anyway.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # A redirect to the slash-less path would be built from the client's Host header: exact
        # paths only, anything else is a 404.
        redirect_slashes=False,
    )
    app.state.settings = settings
    # Every operation documents the errors any request may get (app/api/responses.py).
    document_error_responses(app)
    install_exception_handlers(app)
    # Flat: one route match per request instead of one per router level (app/api/serving.py).
    serve(app.router, health_router)
    serve(app.router, versioned_router(), prefix=API_V1_PREFIX)
    if docs:
        install_docs(app)

    # Added innermost first: the request id wraps everything, so every response and log has it;
    # the access line, just inside it, times the whole stack.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.MAX_REQUEST_BODY_BYTES)
    hooks: list[LifespanHook] = []
    # The service's own wiring last, so its middleware wraps the integrations'.
    installs: tuple[Integration, ...] = (*INTEGRATIONS, service_wiring)
    for integration in installs:
        hook = integration.install(app, settings)
        if hook is not None:
            hooks.append(hook)
    app.state.lifespan_hooks = hooks
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.ALLOWED_ORIGINS,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER],
    )
    if ANY not in settings.ALLOWED_HOSTS:
        app.add_middleware(
            TrustedHostMiddleware,
            allowed_hosts=settings.ALLOWED_HOSTS,
            exempt_paths=settings.ALLOWED_HOSTS_EXEMPT_PATHS,
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.HSTS_ENABLED,
        relaxed_csp_paths=DOCS_PATHS if docs else (),
        vary_origin=True,
    )
    app.add_middleware(AccessLogMiddleware, observers=request_observers(app))
    app.add_middleware(RequestIdMiddleware)
    # Outermost: everything inside (access log, rate limits) sees the client's address, taken
    # from X-Forwarded-For only when the peer is one of FORWARDED_ALLOW_IPS (the right-most
    # address no trusted proxy added). The server's own handling is off (scripts/start.sh), so
    # this setting is the one place that decides.
    if settings.FORWARDED_ALLOW_IPS:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.FORWARDED_ALLOW_IPS)
    return app


try:
    app = create_app()
except ConfigurationError as error:
    # The variables at fault, every one of them, instead of a traceback.
    raise SystemExit(f"configuration error: {error}") from None
