"""Interactive docs: served with their assets by the service itself, so they work offline."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.api.docs import DOCS_ASSETS_PATH
from app.bootstrap.settings import AppSettings, ProductionSettings
from tests.support import client_for, started_app

PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
URL_ATTRIBUTE = re.compile(r'\b(?:src|href|spec-url)="([^"]*)"')
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def referenced_urls(html: str) -> list[str]:
    return URL_ATTRIBUTE.findall(html)


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in directives}


def sha256_source(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


@pytest.mark.parametrize("path", PAGES)
async def test_docs_pages_are_html(client: AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert (await client.head(path)).status_code == 200


@pytest.mark.parametrize("path", PAGES)
async def test_docs_pages_reference_nothing_on_another_host(client: AsyncClient, path: str) -> None:
    html = (await client.get(path)).text

    assert "://" not in html
    for url in referenced_urls(html):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url


@pytest.mark.parametrize(("path", "expected"), [("/docs", 3), ("/redoc", 2)])
async def test_every_asset_of_the_docs_is_served_by_the_service(
    client: AsyncClient, path: str, expected: int
) -> None:
    html = (await client.get(path)).text
    assets = [url for url in referenced_urls(html) if url != "/openapi.json"]

    assert len(assets) == expected
    for url in assets:
        assert url.startswith(f"{DOCS_ASSETS_PATH}/"), url
        response = await client.get(url)
        assert response.status_code == 200, url
        assert ASSET_TYPES[url[url.rindex(".") :]] in response.headers["content-type"], url
        assert response.content


@pytest.mark.parametrize("path", PAGES)
async def test_docs_csp_allows_this_service_and_the_pages_own_inline_scripts_only(
    app: FastAPI, client: AsyncClient, path: str
) -> None:
    response = await client.get(path)
    directives = csp_directives(response.headers["content-security-policy"])
    # An identity provider the Authorize button signs in with (auth=oidc): fetched from /docs.
    provider_origins = set(getattr(app.state, "docs_connect_to", ())) if path == "/docs" else set()

    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert set(directives["connect-src"]) == {"'self'", *provider_origins}
    for sources in directives.values():
        for source in sources:
            # Keywords and hashes are quoted; the only scheme sources are data: and blob:.
            assert source.startswith("'") or source in {"data:", "blob:", *provider_origins}
    script_sources = directives["script-src"]
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    inline = [sha256_source(script) for script in INLINE_SCRIPT.findall(response.text)]
    assert sorted(script_sources) == sorted(["'self'", *inline])


async def test_the_schema_leaves_out_the_docs_routes(client: AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


async def test_docs_and_their_assets_are_off_by_default_in_production(
    settings: AppSettings,
) -> None:
    assert ProductionSettings.model_fields["DOCS_ENABLED"].default is False
    hidden = settings.model_copy(update={"DOCS_ENABLED": False})
    paths = (*PAGES, "/openapi.json", f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js")
    async with started_app(hidden) as app, client_for(app) as client:
        statuses = [(await client.get(path)).status_code for path in paths]

    assert statuses == [404] * len(paths)


async def test_docs_and_schema_can_be_turned_off(settings: AppSettings) -> None:
    hidden = settings.model_copy(update={"DOCS_ENABLED": False})
    async with started_app(hidden) as app, client_for(app) as client:
        paths = ("/docs", "/redoc", "/openapi.json")
        statuses = [(await client.get(path)).status_code for path in paths]

    assert statuses == [404, 404, 404]
