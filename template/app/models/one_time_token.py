from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utc_now


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"


class OneTimeToken(Base):
    """A token mailed to a user (a password reset, an address verification, a new address to
    confirm): only its SHA-256 is stored, it works once (`used_at`) and until `expires_at`. Used
    by the `email` option; the table is every service's, so turning the option on later needs
    no migration."""

    __tablename__ = "one_time_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Plain text, like users.role: a purpose added later is code, not an ALTER TYPE.
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(
            TokenPurpose,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda purposes: [purpose.value for purpose in purposes],
            validate_strings=True,
        )
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The address a CHANGE_EMAIL token moves the account to once it is spent.
    new_email: Mapped[str | None] = mapped_column(String(320))
