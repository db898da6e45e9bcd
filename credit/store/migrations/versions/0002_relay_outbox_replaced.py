"""The relay's sender pool: the transactions a stuck one's replacement replaced.

A replacement has the stuck transaction's nonce, so at most one of the two is mined; the relay
settles the batch by whichever was (:mod:`credit.relay.stuck`). Each replaced hash is kept here
with the outbox row it belonged to and the fee it offered.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_outbox_replaced",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("max_fee", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["relay_outbox.id"]),
        sa.PrimaryKeyConstraint("tx_hash"),
    )
    op.create_index(
        "ix_relay_outbox_replaced_outbox", "relay_outbox_replaced", ["outbox_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_relay_outbox_replaced_outbox", table_name="relay_outbox_replaced")
    op.drop_table("relay_outbox_replaced")
