"""The service's own accounts' settings: the key its access tokens are signed with and their
lifetimes, the password policy's length, the cost of hashing, and the first admin."""

from __future__ import annotations

import os
from typing import Self

from pydantic import EmailStr, Field, SecretStr, field_validator, model_validator

from app.core.config import Environment, ProcessSettings
from app.core.secret_key import HOW_TO_GENERATE, key_weaknesses
from app.integrations.accounts.published_keys import PUBLISHED_KEY_DIGESTS
from app.schemas.password import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH_DEFAULT,
    PASSWORD_MIN_LENGTH_FLOOR,
)


class AccountSettings(ProcessSettings):
    """Read by the API, and by scripts/migrate.sh for the first admin."""

    # No default: development reads the one .env.development ships, the tests theirs, and
    # production refuses to start without one of its own.
    SECRET_KEY: SecretStr = Field(
        description="Signs the access tokens (HS256): at least 32 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
    )
    # Short: an access token is not revoked by a logout or a password change (a deactivation
    # counts at once), so this is the longest a copied one keeps working.
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="Lifetime of an access token (1-1440 minutes). Logout does not end it, so "
        "keep it short",
    )
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(
        default=14,
        ge=1,
        le=365,
        description="A login session ends this many days after its last refresh (1-365); each "
        "refresh token works once",
    )
    ACCESS_TOKEN_CACHE_SIZE: int = Field(
        default=4096,
        ge=0,
        description="Accepted access tokens each process remembers (their expiry is still "
        "checked on every request); 0 verifies every token on every request",
    )

    # Raising it locks no one out: a login accepts a password stored under a lower minimum.
    PASSWORD_MIN_LENGTH: int = Field(
        default=PASSWORD_MIN_LENGTH_DEFAULT,
        ge=PASSWORD_MIN_LENGTH_FLOOR,
        le=PASSWORD_MAX_LENGTH,
        description="New passwords have at least this many characters (NIST SP 800-63B-4 asks "
        "15 of a password that is the only factor; never below 8). A login still accepts an "
        "older, shorter password",
        examples=[15],
    )
    # Argon2id's cost: the defaults are the OWASP / pwdlib recommendation (64 MiB, t=3, p=4).
    PASSWORD_HASH_TIME_COST: int = Field(
        default=3, ge=1, description="Argon2id passes (pwdlib default: 3)"
    )
    PASSWORD_HASH_MEMORY_COST_KIB: int = Field(
        default=65536,
        ge=8,
        description="Argon2id memory per hash in KiB (pwdlib default: 65536 = 64 MiB)",
    )
    PASSWORD_HASH_PARALLELISM: int = Field(
        default=4, ge=1, description="Argon2id lanes (pwdlib default: 4)"
    )
    # Each hash holds PASSWORD_HASH_MEMORY_COST_KIB, so this bounds the memory hashing takes.
    PASSWORD_HASH_CONCURRENCY: int = Field(
        default=os.cpu_count() or 2,
        ge=1,
        description="Hashes computed at once (default: the CPU count, which in a container is "
        "the node's, not the limit's: set it); each holds the memory cost above",
        examples=[2],
    )
    # A quick 503 instead of a place at the end of an ever longer queue.
    PASSWORD_HASH_QUEUE_LIMIT: int | None = Field(
        default=None,
        ge=0,
        description="Hashes waiting for a slot at most (default: 4 x "
        "PASSWORD_HASH_CONCURRENCY); past that a login or registration is answered 503 with "
        "Retry-After at once. 0: no waiting",
        examples=[8],
    )

    FIRST_SUPERUSER_EMAIL: EmailStr | None = Field(
        default=None,
        description="The first admin's address: scripts/migrate.sh (so start.sh and the "
        "Kubernetes migrate Job) creates that admin when no user has it; set it with "
        "FIRST_SUPERUSER_PASSWORD, or neither",
        json_schema_extra={"secret": True, "migrate_only": True},
    )
    FIRST_SUPERUSER_USERNAME: str = Field(
        default="admin",
        min_length=3,
        max_length=50,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The first admin's username (3-50 letters, digits and . _ -)",
    )
    FIRST_SUPERUSER_PASSWORD: SecretStr | None = Field(
        default=None,
        description="The first admin's password, used only when that admin is created, never "
        "changed afterwards; production holds it to the password policy. Keep it in a secret "
        "store, not in a file",
        json_schema_extra={"migrate_only": True},
    )

    @property
    def logins_require_verified_email(self) -> bool:
        """Whether a login waits until the user's address is verified: never here, since only
        the `email` option mails the link that verifies it; its settings class says when."""
        return False

    @property
    def address_changes_need_confirmation(self) -> bool:
        """Whether a user's new address waits for a link mailed to it (PATCH /users/me refuses
        one): never here, where nothing is mailed; the `email` option's settings class says so."""
        return False

    @field_validator("SECRET_KEY")
    @classmethod
    def refuse_weak_secret_in_production(cls, value: SecretStr) -> SecretStr:
        # `cls` is the class the environment's rules were laid over (app/core/environments.py).
        if cls.ENVIRONMENT is Environment.PRODUCTION:
            problems = key_weaknesses(value.get_secret_value(), PUBLISHED_KEY_DIGESTS)
            if problems:
                raise ValueError(
                    f"is not a random key: it {', '.join(problems)}; {HOW_TO_GENERATE}"
                )
        return value

    @model_validator(mode="after")
    def first_superuser_is_whole(self) -> Self:
        if (self.FIRST_SUPERUSER_EMAIL is None) != (self.FIRST_SUPERUSER_PASSWORD is None):
            raise ValueError(
                "FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD must be set together "
                "(or neither: no first admin is created)"
            )
        return self
