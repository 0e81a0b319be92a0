"""users.email_lookalike_key: one key for addresses that render alike

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:00:00+00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.lookalikes import email_lookalike_key

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows updated per statement (one executemany) while the keys are filled in.
_BATCH = 1000

logger = logging.getLogger("alembic.runtime.migration")

_users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("email_lookalike_key", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_lookalike_key", sa.String(length=64), nullable=True))
    if op.get_context().as_sql:
        # An offline script cannot read the addresses to key them: existing users get no key
        # (new and changed addresses do).
        logger.warning("offline: existing users' email_lookalike_key is left empty")
    else:
        _fill_keys()
    # A unique index, not a constraint: SQLite adds one without rebuilding the table.
    op.create_index(
        op.f("ix_users_email_lookalike_key"), "users", ["email_lookalike_key"], unique=True
    )


def _fill_keys() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_users.c.id, _users.c.email).order_by(_users.c.created_at, _users.c.id)
    )
    # Accounts whose addresses already look alike all stay: the oldest gets the key, the
    # others none (each named in the log), so the unique index can be made.
    owners: dict[str, str] = {}
    updates: list[dict[str, object]] = []
    for user_id, email in rows.all():
        key = email_lookalike_key(email)
        if key in owners:
            logger.warning(
                "user %s has an address that looks like user %s's: it gets no look-alike key",
                user_id,
                owners[key],
            )
            continue
        owners[key] = str(user_id)
        updates.append({"user_id": user_id, "key": key})
    set_key = (
        sa.update(_users)
        .where(_users.c.id == sa.bindparam("user_id"))
        .values(email_lookalike_key=sa.bindparam("key"))
    )
    for start in range(0, len(updates), _BATCH):
        connection.execute(set_key, updates[start : start + _BATCH])


def downgrade() -> None:
    op.drop_index(op.f("ix_users_email_lookalike_key"), table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_lookalike_key")
