"""The current user of a service that takes its users from an OpenID Connect provider: the bearer
of an access token the provider issued for this API, verified (verifier.py), then found in the
users table by (issuer, subject), or added on first sight (app/services/
federated_identity_service.py). Routes take it as app/api/deps.py's CurrentUser.

A route that needs more than a signed-in caller names the scopes its token must grant:

    Reader = Annotated[AuthenticatedUser, Security(get_current_user, scopes=["reports:read"])]

A token without one of them is answered 403 `Bearer error="insufficient_scope"`. A token issued
to a client for itself (the client-credentials grant) names the client as its subject: it is a
caller like any other, with the role its roles claim maps to.
"""

from __future__ import annotations

import logging
from typing import cast

from fastapi import Request
from fastapi.security import OpenIdConnect, SecurityScopes

from app.core.errors import credentials_error
from app.integrations.oidc.access_token import VerifiedAccessToken
from app.integrations.oidc.challenges import invalid_token_error
from app.integrations.oidc.provider_documents import DISCOVERY_PATH
from app.integrations.oidc.scopes import require_scopes
from app.integrations.oidc.verifier import OidcTokenVerifier
from app.services.authenticated_user import AuthenticatedUser, AuthenticationError
from app.services.federated_identity_service import FederatedIdentity, FederatedIdentityService

logger = logging.getLogger(__name__)

# Where the OpenAPI document points clients (and the docs' Authorize button) for the provider's
# endpoints: `install` sets it from OIDC_ISSUER_URL when the app is built.
DISCOVERY_PLACEHOLDER = DISCOVERY_PATH


class ProviderBearer(OpenIdConnect):
    """The OpenID Connect scheme (as the OpenAPI document shows it) that resolves the caller
    too, and checks the scopes the route requires."""

    async def __call__(  # type: ignore[override]
        self, request: Request, security_scopes: SecurityScopes
    ) -> AuthenticatedUser:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            # No token at all: a plain challenge (RFC 6750, section 3.1: no error code).
            raise credentials_error("Not authenticated")
        verifier = cast(OidcTokenVerifier, request.app.state.oidc_verifier)
        verified = await verifier.verify(token.strip())
        require_scopes(verified, security_scopes.scopes)
        identities = cast(FederatedIdentityService, request.app.state.federated_identities)
        try:
            return await identities.user_from_identity(identity_of(verified))
        except AuthenticationError as exc:
            logger.info("authentication failed: %s", exc)
            raise invalid_token_error() from exc


def identity_of(token: VerifiedAccessToken) -> FederatedIdentity:
    return FederatedIdentity(
        issuer=token.issuer,
        subject=token.subject,
        role=token.role,
        email=token.email,
        email_verified=token.email_verified,
        username=token.preferred_username,
    )


# auto_error=False: the class answers a missing header itself, as the 401 above.
get_current_user = ProviderBearer(
    openIdConnectUrl=DISCOVERY_PLACEHOLDER, scheme_name="OpenIdConnect", auto_error=False
)


def point_at_provider(metadata_url: str) -> None:
    """Name the provider's discovery document in the OpenAPI document (and so to the docs)."""
    get_current_user.model = get_current_user.model.model_copy(
        update={"openIdConnectUrl": metadata_url}
    )
