"""The e-mail integration's settings: sending (the SMTP relay and the sender), read by whichever
process sends mail (the worker, when it is on), and the rest the API reads (the links, the
tokens)."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import EmailStr, Field, SecretStr, model_validator

from app.core.config import Environment, ProcessSettings, require_in_production

SmtpTls = Literal["none", "starttls", "tls"]


def is_loopback(host: str) -> bool:
    """Whether a link's host is this machine, as a recipient's mail client would read it."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class SmtpSettings(ProcessSettings):
    """Sending a composed mail: what the sending process needs, and nothing of the API's."""

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
        default="noreply@example.com",
        description="Sender address of every mail, at a domain your relay may send for",
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

    @model_validator(mode="after")
    def name_the_relay_in_production(self) -> Self:
        # The default is a relay on this machine (Mailpit in development); in production the
        # relay is named, even when it is a local one.
        require_in_production(self, "SMTP_HOST", hint="the host name of your SMTP relay")
        return self

    @model_validator(mode="after")
    def name_the_sender_in_production(self) -> Self:
        # The default sender is at example.com, which no relay may send for: mail from it is
        # refused or filed as spam.
        require_in_production(
            self, "EMAIL_FROM", hint="the sender address of your mails, at your own domain"
        )
        return self


class EmailSettings(SmtpSettings):
    """What the API reads besides sending: where mails link to, and the tokens they carry."""

    # The page of your frontend that reads `?token=` and posts it back.
    EMAIL_LINK_BASE_URL: str = Field(
        default="http://localhost:8000",
        max_length=2000,
        description="Frontend URL mails link to (<base>/reset-password?token=..., "
        "<base>/verify-email?token=...); production requires an https URL of another machine",
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

    @property
    def address_changes_need_confirmation(self) -> bool:
        # A stolen access token and password must not move the account to an address the owner
        # never sees: the new address confirms, and the old one is told.
        return True

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
        if self.ENVIRONMENT is not Environment.PRODUCTION:
            return self
        # A link carries a token: over http anyone on the path could spend it first.
        if link.scheme != "https":
            raise ValueError("EMAIL_LINK_BASE_URL must be an https URL in production")
        # A recipient opening a link to their own machine reaches no frontend at all.
        if is_loopback(link.hostname):
            raise ValueError(
                "EMAIL_LINK_BASE_URL must not point at localhost or a loopback address in "
                "production: give the URL your users' browsers reach the frontend at"
            )
        return self

    def link(self, page: str, token: str) -> str:
        return f"{self.EMAIL_LINK_BASE_URL.rstrip('/')}/{page}?token={token}"
