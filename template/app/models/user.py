from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin, UTCDateTime
from app.models.role import Role


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored lower-cased (see app.schemas.user), so the unique constraints are case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    # The same for addresses that render alike (app/core/lookalikes.py), so the unique index
    # refuses a look-alike of an existing address. Set with the address by UserService; None
    # only where the migration that added it found a look-alike of an older account.
    email_lookalike_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Stored as its value in a plain VARCHAR (no database enum type, no CHECK constraint): a role
    # added later is a code change, not a migration that alters a type on a live table.
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda roles: [role.value for role in roles],
            validate_strings=True,
        ),
        default=Role.USER,
        server_default=Role.USER.value,
    )
    # When the user proved they receive mail at `email` (the `email` option's verification);
    # cleared whenever the address changes.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Your service's own columns on users below this line (each with a revision of yours in
    # alembic/versions/): a template release adds its columns above it, so yours never conflict.
