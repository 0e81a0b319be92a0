"""OpenID Connect: access tokens your identity provider (Keycloak, Auth0, Entra ID, ...) signs,
verified here against the keys it publishes.

- settings.py: OidcSettings (issuer, audience, roles claim, refresh bounds).
- provider_documents.py: the issuer's metadata and key set, read and judged (pure functions).
- provider_keys.py: those documents fetched and cached per process, refetched at a bounded rate.
- verifier.py: `OidcTokenVerifier.verify(token) -> VerifiedAccessToken` (access_token.py).
- scopes.py, roles.py: what a verified token grants.
- errors.py, challenges.py: the failures and the HTTP answers they get (401, 403, 503).
- integration.py: `install(app, settings)`, the lifespan that owns the provider's HTTP client.

Importing the package loads nothing: its settings class is read wherever settings are built.
"""
