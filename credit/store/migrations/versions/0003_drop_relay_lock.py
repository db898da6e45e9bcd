"""The relay's lock between processes is a PostgreSQL advisory lock, taken exclusively by the
transactions that move claims between stages and shared by the city's requests
(:mod:`credit.relay.transaction`): the one-row table whose row they all updated is gone.

Claims are numbered (``relay_claims.seq``) by requests that store them side by side, in turn: the
number is unique, and the index says so.

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
    op.drop_index("ix_relay_claims_seq", table_name="relay_claims")
    op.create_index("ux_relay_claims_seq", "relay_claims", ["seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_relay_claims_seq", table_name="relay_claims")
    op.create_index("ix_relay_claims_seq", "relay_claims", ["seq"], unique=False)
    table = op.create_table(
        "relay_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "writes": 0}])
