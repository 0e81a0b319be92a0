"""The API side of OpenID Connect: `install` registers the answers to verification failures
(challenges.py) and returns the lifespan hook that owns the provider's HTTP client for as long
as the app runs, with the token verifier on `app.state.oidc_verifier`, the users' provisioning
on `app.state.federated_identities` (both read by bearer.py) and the readiness check `oidc`
(down only while no signing key is usable); and points the docs' Authorize button at the
provider.

Nothing is fetched at startup: a provider that is down must not stop pods from starting. The
first readiness probe (or token) fetches the keys, and the probe keeps the pod out of the load
balancer until some key is usable.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from app.core.hooks import LifespanHook
from app.integrations.oidc.bearer import point_at_provider
from app.integrations.oidc.challenges import add_challenge_handlers
from app.integrations.oidc.provider_documents import metadata_url
from app.integrations.oidc.provider_keys import Clock, ProviderKeys
from app.integrations.oidc.roles import RoleMapping
from app.integrations.oidc.settings import OidcSettings
from app.integrations.oidc.verifier import OidcTokenVerifier
from app.services.federated_identity_service import FederatedIdentityService

# The transport of the provider's HTTP client; None is httpx's own, the network. A seam for the
# generated tests alone: their provider stand-in (tests/plugins/oidc_provider.py) puts its
# in-process transport here, so every app the suite starts reaches it without any network.
# Read when an app starts, never at import.
provider_transport: httpx.AsyncBaseTransport | None = None


def install(app: FastAPI, settings: OidcSettings) -> LifespanHook:
    add_challenge_handlers(app)
    point_at_provider(metadata_url(settings.OIDC_ISSUER_URL))
    sign_in_from_the_docs(app, settings)

    def hook(application: FastAPI) -> AbstractAsyncContextManager[None]:
        return open_provider(application, settings)

    return hook


def sign_in_from_the_docs(app: FastAPI, settings: OidcSettings) -> None:
    """The docs' Authorize button: the provider's authorization-code flow with PKCE for the
    public client OIDC_CLIENT_ID (no secret in the browser), once one is set. The page fetches
    the discovery document and the token endpoint from the issuer's origin, and from nowhere
    else (app/api/docs.py's content security policy)."""
    issuer = urlsplit(settings.OIDC_ISSUER_URL)
    app.state.docs_connect_to = (f"{issuer.scheme}://{issuer.netloc}",)
    if settings.OIDC_CLIENT_ID is not None:
        app.swagger_ui_init_oauth = {
            "clientId": settings.OIDC_CLIENT_ID,
            "usePkceWithAuthorizationCodeGrant": True,
            "scopes": "openid",
        }


@asynccontextmanager
async def open_provider(app: FastAPI, settings: OidcSettings) -> AsyncIterator[None]:
    client = provider_client(settings)
    verifier = verifier_for(settings, client)
    app.state.oidc_verifier = verifier
    app.state.federated_identities = FederatedIdentityService(
        app.state.row_reader, app.state.engine
    )
    app.state.health_checks["oidc"] = verifier.keys.ensure_usable
    try:
        yield
    finally:
        await verifier.keys.aclose()
        await client.aclose()


def provider_client(settings: OidcSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=provider_transport,
        timeout=settings.OIDC_HTTP_TIMEOUT_SECONDS,
        # The documents are where the issuer's metadata says; a redirect is a misconfiguration
        # (or someone else's answer), never followed.
        follow_redirects=False,
        headers={"Accept": "application/json"},
    )


def verifier_for(
    settings: OidcSettings, client: httpx.AsyncClient, *, clock: Clock = time.monotonic
) -> OidcTokenVerifier:
    keys = ProviderKeys(
        client,
        issuer=settings.OIDC_ISSUER_URL,
        refresh_interval_seconds=settings.OIDC_KEYS_REFRESH_INTERVAL_SECONDS,
        max_age_seconds=settings.OIDC_KEYS_MAX_AGE_SECONDS,
        clock=clock,
    )
    return OidcTokenVerifier(
        keys,
        issuer=settings.OIDC_ISSUER_URL,
        audience=settings.OIDC_AUDIENCE,
        leeway_seconds=settings.OIDC_LEEWAY_SECONDS,
        roles=RoleMapping(settings.OIDC_ROLES_CLAIM, settings.OIDC_ADMIN_ROLES),
        cache_size=settings.OIDC_TOKEN_CACHE_SIZE,
    )
