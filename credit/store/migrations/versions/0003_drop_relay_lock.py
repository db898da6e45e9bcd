"""The relay's lock between processes is a PostgreSQL advisory lock, taken exclusively by the
transactions that move claims between stages and shared by the city's requests
(:mod:`credit.relay.transaction`): the one-row table whose row they all updated is gone.

Claims are numbered (``relay_claims.seq``) by requests that store them side by side, in turn: the
number is unique, and the index says so.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"  # one line of revisions: no branch labels, no dependencies


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
