"""The relay's lock between processes is a PostgreSQL advisory lock, taken exclusively by the
transactions that move claims between stages and shared by the city's requests
(:mod:`credit.relay.transaction`): the one-row table whose row they all updated is gone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("relay_lock")


def downgrade() -> None:
    table = op.create_table(
        "relay_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "writes": 0}])
