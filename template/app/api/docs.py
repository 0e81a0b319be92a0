"""Interactive API docs (Swagger UI, ReDoc) that work offline.

FastAPI's own pages load their scripts and styles from a CDN, and ReDoc's fonts from Google.
These pages load the copies bundled in the fastapi-offline package (used only for its files),
served by the service itself under DOCS_ASSETS_PATH.

An integration whose sign-in the Authorize button drives (an OpenID Connect provider) sets
`app.swagger_ui_init_oauth` and names the origins the page may fetch from in
`app.state.docs_connect_to`; nothing else leaves the service.
"""

from __future__ import annotations

import re
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from app.middleware.security_headers import docs_content_security_policy

SWAGGER_PATH = "/docs"
REDOC_PATH = "/redoc"
DOCS_ASSETS_PATH = "/docs-assets"
# Every path the docs answer on starts with one of these (the security headers key on them).
DOCS_PATHS = (SWAGGER_PATH, REDOC_PATH)

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _page(response: HTMLResponse, connect_to: tuple[str, ...] = ()) -> HTMLResponse:
    """The page, with a CSP that allows exactly its own inline scripts besides 'self', and
    requests to `connect_to`'s origins."""
    html = bytes(response.body).decode()
    policy = docs_content_security_policy(*_INLINE_SCRIPT.findall(html), connect_to=connect_to)
    response.headers["Content-Security-Policy"] = policy
    return response


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI and ReDoc for app's OpenAPI schema, with their assets."""
    if app.openapi_url is None:
        raise ValueError("the docs need the OpenAPI schema: set openapi_url")
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    # The package is used for its files only (swagger-ui-bundle.js, swagger-ui.css,
    # redoc.standalone.js, favicon.png), not for its FastAPIOffline wrapper.
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        # Behind a proxy that strips a path prefix, URLs in the page keep it.
        root = request.scope.get("root_path", "").rstrip("/")
        return _page(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
                oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
            ),
            connect_to=tuple(getattr(app.state, "docs_connect_to", ())),
        )

    async def swagger_ui_oauth2_redirect(request: Request) -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _page(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{DOCS_ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )

    # Plain routes, as FastAPI adds its own docs pages: they answer HEAD too.
    app.add_route(SWAGGER_PATH, swagger_ui, include_in_schema=False)
    if oauth2_redirect_url:
        app.add_route(oauth2_redirect_url, swagger_ui_oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_PATH, redoc, include_in_schema=False)
