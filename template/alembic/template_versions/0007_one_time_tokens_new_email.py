"""one_time_tokens.new_email: an address change waits for the link mailed to the new address

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("one_time_tokens") as batch:
        batch.add_column(sa.Column("new_email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("one_time_tokens") as batch:
        batch.drop_column("new_email")
