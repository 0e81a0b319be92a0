"""users.identity_issuer and identity_subject; address, username and password hash optional

A user provisioned from an OpenID Connect provider's token (auth=oidc) is named by the token's
issuer and subject, and has no password of the service's; the provider may send no address or
name either. Both answers share this history: a service that switches keeps its database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:00:00+00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

_IDENTITY_UNIQUE = "uq_users_identity_issuer_identity_subject"
# The columns this revision lets go empty, with their types (SQLite's batch mode rebuilds the
# table from them).
_NOW_OPTIONAL = {
    "email": sa.String(length=320),
    "username": sa.String(length=50),
    "hashed_password": sa.String(length=255),
}

_users = sa.table(
    "users",
    sa.column("email", sa.String()),
    sa.column("username", sa.String()),
    sa.column("hashed_password", sa.String()),
)


def upgrade() -> None:
    # On SQLite the table is rebuilt (a column cannot become nullable in place). alembic/env.py's
    # engine leaves SQLite's foreign keys off, as the rebuild needs: with them on, dropping the
    # old table would delete the rows of items and tokens that reference it.
    with op.batch_alter_table("users", copy_from=_offline_sqlite_users(federated=False)) as batch:
        batch.add_column(sa.Column("identity_issuer", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("identity_subject", sa.String(length=255), nullable=True))
        for name, type_ in _NOW_OPTIONAL.items():
            batch.alter_column(name, existing_type=type_, nullable=True)
        # NULLs are distinct in a unique constraint (PostgreSQL and SQLite alike): the service's
        # own accounts, with no provider, never collide.
        batch.create_unique_constraint(
            op.f(_IDENTITY_UNIQUE), ["identity_issuer", "identity_subject"]
        )


def downgrade() -> None:
    if op.get_context().as_sql:
        # An offline script cannot count them: the database refuses the NOT NULL itself.
        logger.warning("offline: users without an address, username or password hash fail 0007")
    else:
        _refuse_users_0007_cannot_hold()
    with op.batch_alter_table("users", copy_from=_offline_sqlite_users(federated=True)) as batch:
        batch.drop_constraint(op.f(_IDENTITY_UNIQUE), type_="unique")
        batch.drop_column("identity_subject")
        batch.drop_column("identity_issuer")
        for name, type_ in _NOW_OPTIONAL.items():
            batch.alter_column(name, existing_type=type_, nullable=False)


def _refuse_users_0007_cannot_hold() -> None:
    lacking = sa.or_(*(_users.c[name].is_(None) for name in _NOW_OPTIONAL))
    count = op.get_bind().scalar(sa.select(sa.func.count()).select_from(_users).where(lacking))
    if count:
        raise CommandError(
            f"{count} user(s) have no e-mail address, username or password hash (provisioned "
            "from an OpenID Connect provider, auth=oidc), which revision 0007 requires of every "
            "user: delete them or fill those columns in, then downgrade again"
        )


def _offline_sqlite_users(*, federated: bool) -> sa.Table | None:
    """users as the template's revisions leave it before this step, for an offline SQLite
    script: it cannot read the table to rebuild it. None otherwise: the table is read, with
    any columns the service's own revisions added."""
    context = op.get_context()
    if not (context.as_sql and context.dialect.name == "sqlite"):
        return None
    logger.warning(
        "offline SQLite: users is rebuilt from the template's columns; columns your revisions "
        "added to it before this one are left out of the script"
    )
    optional = federated
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=optional),
        sa.Column("username", sa.String(length=50), nullable=optional),
        sa.Column("hashed_password", sa.String(length=255), nullable=optional),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("role", sa.String(length=20), server_default="user", nullable=False),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_lookalike_key", sa.String(length=64), nullable=True),
    ]
    constraints: list[sa.schema.SchemaItem] = [
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    ]
    if federated:
        columns += [
            sa.Column("identity_issuer", sa.String(length=512), nullable=True),
            sa.Column("identity_subject", sa.String(length=255), nullable=True),
        ]
        constraints.append(
            sa.UniqueConstraint("identity_issuer", "identity_subject", name=_IDENTITY_UNIQUE)
        )
    return sa.Table(
        "users",
        sa.MetaData(),
        *columns,
        *constraints,
        sa.Index("ix_users_email_lookalike_key", "email_lookalike_key", unique=True),
    )
