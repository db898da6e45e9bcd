"""Baseline: the gateway's schema as release d9148b8 (2026-12-07) created it.

Frozen: never edit this revision; a change of the schema is a new revision after it. A database
created by that release or an earlier one has no ``alembic_version`` table: ``create_schema``
brings the tables it has up to this schema in place (the changes older releases made at start),
then this revision creates what it lacks, exactly as it creates everything in an empty database.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# the indexes of each table the database had before this revision ran (none when empty)
_before: dict[str, set[str]] = {}


def _create_table(name: str, *columns: Any) -> None:
    if name not in _before:
        op.create_table(name, *columns)


def _create_index(name: str, table: str, columns: list[str], *, unique: bool) -> None:
    if name not in _before.get(table, set()):
        op.create_index(name, table, columns, unique=unique)


def upgrade() -> None:
    """Every table and index of the baseline that the database lacks (all of them when empty)."""
    inspector = sa.inspect(op.get_bind())
    _before.clear()
    for table in inspector.get_table_names():
        _before[table] = {i["name"] for i in inspector.get_indexes(table) if i["name"]}
    _create_table(
        "appeal_texts",
        sa.Column("record_id", sa.String(length=66), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("evidence_id", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "part"),
    )
    _create_table(
        "auth_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.Column("used_by", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    _create_index("ix_auth_nonces_expires_at", "auth_nonces", ["expires_at"], unique=False)

    _create_table(
        "auth_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    _create_index("ix_auth_sessions_address", "auth_sessions", ["address"], unique=False)
    _create_index("ix_auth_sessions_expires_at", "auth_sessions", ["expires_at"], unique=False)

    _create_table(
        "evidence",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("commitment", sa.String(length=66), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=32), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commitment"),
    )
    _create_index("ix_evidence_owner", "evidence", ["owner"], unique=False)

    _create_table(
        "evidence_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("evidence_id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("reader", sa.String(length=42), nullable=False),
        sa.Column("capacity", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=66), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index(
        "ix_evidence_access_evidence_id", "evidence_access", ["evidence_id"], unique=False
    )
    _create_index("ix_evidence_access_owner", "evidence_access", ["owner"], unique=False)

    _create_table(
        "evidence_usage",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("live_items", sa.BigInteger(), nullable=False),
        sa.Column("live_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "index_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    _create_table(
        "index_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ledger", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "index_events",
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("resident", sa.String(length=42), nullable=True),
        sa.Column("record_id", sa.String(length=66), nullable=True),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("indexed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
    )
    _create_index(
        "ix_index_events_block", "index_events", ["block_number", "log_index"], unique=False
    )
    _create_index("ix_index_events_name", "index_events", ["name", "block_number"], unique=False)
    _create_index("ix_index_events_record_id", "index_events", ["record_id"], unique=False)
    _create_index(
        "ix_index_events_resident",
        "index_events",
        ["resident", "block_number", "log_index"],
        unique=False,
    )

    _create_table(
        "notice_acks",
        sa.Column("resident", sa.String(length=42), nullable=False),
        sa.Column("notice_id", sa.String(length=66), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resident", "notice_id"),
    )
    _create_table(
        "relay_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "relay_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signer", "nonce", name="ux_relay_outbox_signer_nonce"),
        sa.UniqueConstraint("tx_hash"),
    )
    _create_index("ix_relay_outbox_status", "relay_outbox", ["signer", "status"], unique=False)

    _create_table(
        "reward_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    _create_table(
        "relay_claims",
        sa.Column("record_id", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("resident", sa.String(length=42), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.String(length=66), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("r", sa.String(length=66), nullable=False),
        sa.Column("vs", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("voided", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("reporter", sa.String(length=42), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["relay_outbox.id"],
        ),
        sa.PrimaryKeyConstraint("record_id"),
    )
    _create_index("ix_relay_claims_seq", "relay_claims", ["seq"], unique=False)
    _create_index("ix_relay_claims_status_seq", "relay_claims", ["status", "seq"], unique=False)
    _create_index(
        "ux_relay_claims_nonce", "relay_claims", ["resident", "nonce", "voided"], unique=True
    )

    _create_table(
        "relay_endorsements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("evaluator", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("r", sa.String(length=66), nullable=False),
        sa.Column("vs", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["relay_outbox.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index(
        "ix_relay_endorsements_evaluator", "relay_endorsements", ["evaluator"], unique=False
    )
    _create_index("ix_relay_endorsements_status", "relay_endorsements", ["status"], unique=False)
    _create_index(
        "ux_relay_endorsements_evaluator_digest",
        "relay_endorsements",
        ["evaluator", "digest"],
        unique=True,
    )

    _create_table(
        "reward_txs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.Integer(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("residents", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("minted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reward_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signer", "nonce"),
    )
    _create_index("ix_reward_txs_run_id", "reward_txs", ["run_id"], unique=False)

    _create_table(
        "relay_endorsement_records",
        sa.Column("endorsement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["endorsement_id"],
            ["relay_endorsements.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["relay_claims.record_id"],
        ),
        sa.PrimaryKeyConstraint("endorsement_id", "position"),
    )
    _create_index(
        "ix_relay_endorsement_records_record",
        "relay_endorsement_records",
        ["record_id"],
        unique=False,
    )

    _create_table(
        "relay_rejections",
        sa.Column("record_id", sa.String(length=66), nullable=False),
        sa.Column("resident", sa.String(length=42), nullable=False),
        sa.Column("evaluator", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_hash", sa.String(length=66), nullable=False),
        sa.Column("r", sa.String(length=66), nullable=False),
        sa.Column("vs", sa.String(length=66), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["relay_claims.record_id"],
        ),
        sa.PrimaryKeyConstraint("record_id"),
    )
    _create_index("ix_relay_rejections_at", "relay_rejections", ["at"], unique=False)
    _create_index("ix_relay_rejections_resident", "relay_rejections", ["resident"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_relay_rejections_resident", table_name="relay_rejections")
    op.drop_index("ix_relay_rejections_at", table_name="relay_rejections")

    op.drop_table("relay_rejections")
    op.drop_index("ix_relay_endorsement_records_record", table_name="relay_endorsement_records")

    op.drop_table("relay_endorsement_records")
    op.drop_index(op.f("ix_reward_txs_run_id"), table_name="reward_txs")

    op.drop_table("reward_txs")
    op.drop_index("ux_relay_endorsements_evaluator_digest", table_name="relay_endorsements")
    op.drop_index("ix_relay_endorsements_status", table_name="relay_endorsements")
    op.drop_index("ix_relay_endorsements_evaluator", table_name="relay_endorsements")

    op.drop_table("relay_endorsements")
    op.drop_index("ux_relay_claims_nonce", table_name="relay_claims")
    op.drop_index("ix_relay_claims_status_seq", table_name="relay_claims")
    op.drop_index("ix_relay_claims_seq", table_name="relay_claims")

    op.drop_table("relay_claims")
    op.drop_table("reward_runs")
    op.drop_index("ix_relay_outbox_status", table_name="relay_outbox")

    op.drop_table("relay_outbox")
    op.drop_table("relay_lock")
    op.drop_table("notice_acks")
    op.drop_index("ix_index_events_resident", table_name="index_events")
    op.drop_index("ix_index_events_record_id", table_name="index_events")
    op.drop_index("ix_index_events_name", table_name="index_events")
    op.drop_index("ix_index_events_block", table_name="index_events")

    op.drop_table("index_events")
    op.drop_table("index_cursor")
    op.drop_table("index_blocks")
    op.drop_table("evidence_usage")
    op.drop_index(op.f("ix_evidence_access_owner"), table_name="evidence_access")
    op.drop_index(op.f("ix_evidence_access_evidence_id"), table_name="evidence_access")

    op.drop_table("evidence_access")
    op.drop_index(op.f("ix_evidence_owner"), table_name="evidence")

    op.drop_table("evidence")
    op.drop_index("ix_auth_sessions_expires_at", table_name="auth_sessions")
    op.drop_index("ix_auth_sessions_address", table_name="auth_sessions")

    op.drop_table("auth_sessions")
    op.drop_index("ix_auth_nonces_expires_at", table_name="auth_nonces")

    op.drop_table("auth_nonces")
    op.drop_table("appeal_texts")
