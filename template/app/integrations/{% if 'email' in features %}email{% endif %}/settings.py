"""The e-mail integration's settings: the SMTP relay, the sender, the links and the tokens."""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import EmailStr, Field, SecretStr, model_validator

from app.core.config import Environment, Settings, require_in_production

SmtpTls = Literal["none", "starttls", "tls"]


class EmailSettings(Settings):
    SMTP_HOST: str = Field(
        default="localhost",
        min_length=1,
        max_length=253,
        description="SMTP relay that sends the service's mail",
    )
    SMTP_PORT: int = Field(
        default=1025,
        ge=1,
        le=65535,
        description="Its port (Mailpit: 1025; submission: 587; TLS: 465)",
    )
    SMTP_USERNAME: str | None = Field(
        default=None,
        max_length=320,
        description="Login at the relay; unset: no authentication",
    )
    SMTP_PASSWORD: SecretStr | None = Field(
        default=None, max_length=512, description="Password at the relay"
    )
    # starttls upgrades after connecting; tls speaks TLS from the first byte.
    SMTP_TLS: SmtpTls = Field(
        default="none",
        description="none (a local relay, Mailpit) | starttls (upgrade, port 587) | tls (port 465)",
    )
    SMTP_TIMEOUT_SECONDS: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Connect and command timeout per attempt",
        examples=["10"],
    )
    EMAIL_FROM: EmailStr = Field(
        default="noreply@example.com", description="Sender address of every mail"
    )
    # The page of your frontend that reads `?token=` and posts it back.
    EMAIL_LINK_BASE_URL: str = Field(
        default="http://localhost:8000",
        max_length=2000,
        description="Frontend URL mails link to (<base>/reset-password?token=..., "
        "<base>/verify-email?token=...); production requires it, https unless localhost",
    )
    # A mail given up is logged as "mail not sent".
    EMAIL_SEND_ATTEMPTS: int = Field(
        default=3, ge=1, le=10, description="Tries per mail before it is given up (logged)"
    )
    EMAIL_RETRY_DELAY_SECONDS: float = Field(
        default=2.0,
        ge=0,
        le=300,
        description="Wait after a failed try, doubled each time",
        examples=["2"],
    )
    PASSWORD_RESET_TOKEN_EXPIRE_MINUTES: int = Field(
        default=30, ge=1, le=24 * 60, description="Lifetime of a mailed reset link"
    )
    EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS: int = Field(
        default=48, ge=1, le=30 * 24, description="Lifetime of a mailed verification link"
    )
    EMAIL_VERIFICATION_REQUIRED: bool = Field(
        default=False,
        description="true: logins are refused (403) until the address is verified",
    )

    @property
    def logins_require_verified_email(self) -> bool:
        return self.EMAIL_VERIFICATION_REQUIRED

    @model_validator(mode="after")
    def check_links(self) -> Self:
        link = urlsplit(self.EMAIL_LINK_BASE_URL)
        if link.scheme not in ("http", "https") or not link.hostname or link.query:
            raise ValueError(
                "EMAIL_LINK_BASE_URL must be an http(s) URL without a query, e.g. "
                "https://app.example.com"
            )
        require_in_production(
            self, "EMAIL_LINK_BASE_URL", hint="the https URL of the frontend that mails link to"
        )
        # A link carries a token: over http anyone on the path could spend it first.
        local = link.hostname in ("localhost", "127.0.0.1", "::1")
        if self.ENVIRONMENT is Environment.PRODUCTION and link.scheme != "https" and not local:
            raise ValueError("EMAIL_LINK_BASE_URL must be https in production (or localhost)")
        return self

    def link(self, page: str, token: str) -> str:
        return f"{self.EMAIL_LINK_BASE_URL.rstrip('/')}/{page}?token={token}"
