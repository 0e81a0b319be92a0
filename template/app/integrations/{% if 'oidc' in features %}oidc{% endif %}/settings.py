"""The OpenID Connect integration's settings: which provider signs the access tokens this API
accepts, for which audience, how its roles map to the service's, and how often its keys may be
fetched."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from app.core.config import (
    SERVICE_NAME,
    CommaSeparated,
    Environment,
    ProcessSettings,
    require_in_production,
)


class OidcSettings(ProcessSettings):
    """Read by the API only: the worker verifies no tokens."""

    # Compared character for character with every token's `iss` and the metadata's `issuer`,
    # so it is kept as given (Auth0's issuers end with a slash, Keycloak's do not).
    OIDC_ISSUER_URL: str = Field(
        default="http://localhost:8080/realms/service",
        max_length=2000,
        description="Your provider's issuer URL, exactly as its tokens' `iss` (Keycloak: "
        "https://<host>/realms/<realm>; Auth0: https://<tenant>.auth0.com/; Entra ID: "
        "https://login.microsoftonline.com/<tenant-id>/v2.0); https in production",
    )
    OIDC_AUDIENCE: str = Field(
        default=SERVICE_NAME,
        min_length=1,
        max_length=2000,
        description="The `aud` this API's access tokens carry (Keycloak: an audience mapper; "
        "Auth0: the API identifier; Entra ID v2.0 tokens: the API registration's application "
        "(client) ID); never the docs' client id",
    )
    OIDC_CLIENT_ID: str | None = Field(
        default=None,
        max_length=2000,
        description="Client id the docs' Authorize button signs in with: a public client of the "
        "provider (authorization code with PKCE, redirect URI <this service>/docs/oauth2-redirect);"
        " unset: the button asks for one",
    )
    # Dotted; at each level the longest run of segments that names a claim wins, so a claim
    # whose name holds dots (Auth0's namespaced https://example.com/roles) is one segment.
    OIDC_ROLES_CLAIM: str = Field(
        default="roles",
        min_length=1,
        max_length=200,
        description="Claim listing the user's provider roles, dotted for nested ones "
        "(Keycloak realm roles: realm_access.roles; Entra ID: roles; groups; Auth0: your "
        "namespaced claim, e.g. https://example.com/roles)",
    )
    OIDC_ADMIN_ROLES: CommaSeparated = Field(
        default=[],
        description="Provider roles that make a user an admin of this service, "
        "comma-separated; unset: no one is",
    )
    OIDC_LEEWAY_SECONDS: int = Field(
        default=30,
        ge=0,
        le=300,
        description="Clock skew allowed when checking a token's exp, nbf and iat (0-300)",
    )
    # A token signed with a key the cache does not hold makes the keys be fetched again, at most
    # once per interval: a flood of made-up key ids costs the provider one request a minute.
    OIDC_KEYS_REFRESH_INTERVAL_SECONDS: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Least time between two fetches of the provider's keys (1-3600)",
    )
    OIDC_KEYS_MAX_AGE_SECONDS: int = Field(
        default=3600,
        ge=60,
        le=86400,
        description="Cached keys older than this are fetched again in the background; they "
        "keep serving meanwhile, and while the provider is down (60-86400)",
    )
    OIDC_TOKEN_CACHE_SIZE: int = Field(
        default=4096,
        ge=0,
        le=1_000_000,
        description="Accepted access tokens each process remembers (their expiry is still "
        "checked on every request, and the user's row read); 0 verifies every token every time",
    )
    OIDC_HTTP_TIMEOUT_SECONDS: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="Timeout of each request to the provider (its metadata and keys)",
        examples=["5"],
    )

    @field_validator("OIDC_ISSUER_URL")
    @classmethod
    def oidc_issuer_is_a_url(cls, value: str) -> str:
        url = urlsplit(value)
        if (
            url.scheme not in ("http", "https")
            or not url.hostname
            or url.query
            or url.fragment
            or url.username is not None
        ):
            raise ValueError(
                "must be your provider's issuer URL: http(s), a host, no credentials, query or "
                "fragment, e.g. https://login.example.com/realms/service"
            )
        return value

    # The defaults are a local Keycloak realm and the service's name: fine on a laptop, never
    # what production's provider issues. One check per variable: a refusal lists each on a line.
    @model_validator(mode="after")
    def name_the_oidc_issuer_in_production(self) -> Self:
        require_in_production(
            self,
            "OIDC_ISSUER_URL",
            hint="your provider's issuer URL, exactly as its tokens' `iss` (see .env.example)",
        )
        return self

    @model_validator(mode="after")
    def name_the_oidc_audience_in_production(self) -> Self:
        require_in_production(
            self,
            "OIDC_AUDIENCE",
            hint="the audience your provider's access tokens carry for this API",
        )
        return self

    @model_validator(mode="after")
    def oidc_issuer_is_https_in_production(self) -> Self:
        # Over http anyone on the path could hand the service keys of their own. Checked once
        # the issuer is named: an unnamed one is refused as missing, not as insecure.
        if (
            self.ENVIRONMENT is Environment.PRODUCTION
            and "OIDC_ISSUER_URL" in self.model_fields_set
            and urlsplit(self.OIDC_ISSUER_URL).scheme != "https"
        ):
            raise ValueError("OIDC_ISSUER_URL must be an https URL in production")
        return self

    @model_validator(mode="after")
    def oidc_audience_is_not_the_client_id(self) -> Self:
        # The client id is the audience of ID tokens (OpenID Connect Core, section 2): an API
        # accepting it would take ID tokens, which any page the user signed in to holds, as
        # access tokens.
        if self.OIDC_CLIENT_ID is not None and self.OIDC_AUDIENCE == self.OIDC_CLIENT_ID:
            raise ValueError(
                "OIDC_AUDIENCE must not equal OIDC_CLIENT_ID: the client id is the audience of "
                "ID tokens, which are not for APIs; give this API an audience of its own "
                "(Keycloak: an audience mapper; Auth0: the API identifier; Entra ID: the API "
                "registration of its own)"
            )
        return self

    @model_validator(mode="after")
    def oidc_keys_outlive_the_refresh_interval(self) -> Self:
        if self.OIDC_KEYS_MAX_AGE_SECONDS < self.OIDC_KEYS_REFRESH_INTERVAL_SECONDS:
            raise ValueError(
                "OIDC_KEYS_MAX_AGE_SECONDS must be at least OIDC_KEYS_REFRESH_INTERVAL_SECONDS: "
                "keys cannot be fetched more often than that"
            )
        return self
