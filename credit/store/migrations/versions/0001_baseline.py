"""Baseline: the gateway's schema as release d9148b8 (2026-12-07) created it.

Frozen: the schema this revision makes never changes (its code may be tidied only if the DDL it
runs stays the same, on SQLite and PostgreSQL); a change of the schema is a new revision after
it. A database created by that release or an earlier one has no ``alembic_version`` table:
``create_schema`` brings the tables it has up to this schema in place (the changes older
releases made at start), then this revision creates what it lacks, exactly as it creates
everything in an empty database.

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


def _create_index(name: str, table: str, *columns: str, unique: bool = False) -> None:
    if name not in _before.get(table, set()):
        op.create_index(name, table, list(columns), unique=unique)


# The shapes the tables repeat, each built as this revision always built it. Defined here, not
# taken from credit.store.columns: a revision must not change when the application's tables do.


def _address(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """An account address: ``0x`` and 40 hex digits."""
    return sa.Column(name, sa.String(length=42), nullable=nullable)


def _word(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """32 bytes as ``0x`` and 64 hex digits: an id, a hash, half a signature."""
    return sa.Column(name, sa.String(length=66), nullable=nullable)


def _id(*, numbered: bool) -> sa.Column[Any]:
    """``id``, the primary key: numbered by the database, or given (the one row of a singleton
    table)."""
    return sa.Column("id", sa.Integer(), autoincrement=numbered, nullable=False, primary_key=True)


def _status() -> sa.Column[Any]:
    return sa.Column("status", sa.String(length=16), nullable=False)


def _signature() -> list[sa.Column[Any]]:
    """An EIP-712 signature in its compact form (EIP-2098)."""
    return [_word("r"), _word("vs")]


def _queued() -> list[sa.Column[Any]]:
    """Where a relayed row stands, why it was refused, and the outbox transaction it went in."""
    return [
        _status(),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
    ]


def _times() -> list[sa.Column[Any]]:
    """When the row was made and last changed, in Unix seconds."""
    return [
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    ]


def _refers(column: str, to: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [to])


def upgrade() -> None:
    """Every table and index of the baseline that the database lacks (all of them when empty)."""
    inspector = sa.inspect(op.get_bind())
    _before.clear()
    for table in inspector.get_table_names():
        _before[table] = {i["name"] for i in inspector.get_indexes(table) if i["name"]}
    _create_table(
        "appeal_texts",
        _word("record_id"),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("evidence_id", sa.String(length=32), nullable=False),
        _address("author"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "part"),
    )
    _create_table(
        "auth_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        _address("used_by", nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    _create_index("ix_auth_nonces_expires_at", "auth_nonces", "expires_at")

    _create_table(
        "auth_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _address("address"),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    _create_index("ix_auth_sessions_address", "auth_sessions", "address")
    _create_index("ix_auth_sessions_expires_at", "auth_sessions", "expires_at")

    _create_table(
        "evidence",
        sa.Column("id", sa.String(length=32), nullable=False),
        _address("owner"),
        _word("commitment"),
        sa.Column("salt", sa.LargeBinary(length=32), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commitment"),
    )
    _create_index("ix_evidence_owner", "evidence", "owner")

    _create_table(
        "evidence_access",
        _id(numbered=True),
        sa.Column("evidence_id", sa.String(length=32), nullable=False),
        _address("owner"),
        _address("reader"),
        sa.Column("capacity", sa.String(length=20), nullable=False),
        _word("record_id", nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    _create_index("ix_evidence_access_evidence_id", "evidence_access", "evidence_id")
    _create_index("ix_evidence_access_owner", "evidence_access", "owner")

    _create_table(
        "evidence_usage",
        _id(numbered=False),
        sa.Column("live_items", sa.BigInteger(), nullable=False),
        sa.Column("live_bytes", sa.BigInteger(), nullable=False),
    )
    _create_table(
        "index_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        _word("hash"),
        _word("parent_hash"),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    _create_table(
        "index_cursor",
        _id(numbered=False),
        _address("ledger"),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        _word("block_hash", nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    _create_table(
        "index_events",
        _word("block_hash"),
        sa.Column("log_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        _word("tx_hash"),
        _address("address"),
        sa.Column("name", sa.String(length=64), nullable=False),
        _address("resident", nullable=True),
        _word("record_id", nullable=True),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("indexed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("block_hash", "log_index"),
    )
    _create_index("ix_index_events_block", "index_events", "block_number", "log_index")
    _create_index("ix_index_events_name", "index_events", "name", "block_number")
    _create_index("ix_index_events_record_id", "index_events", "record_id")
    _create_index(
        "ix_index_events_resident", "index_events", "resident", "block_number", "log_index"
    )

    _create_table(
        "notice_acks",
        _address("resident"),
        _word("notice_id"),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resident", "notice_id"),
    )
    _create_table(
        "relay_lock",
        _id(numbered=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
    )
    _create_table(
        "relay_outbox",
        _id(numbered=True),
        _address("signer"),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        _word("tx_hash"),
        _status(),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        *_times(),
        sa.UniqueConstraint("signer", "nonce", name="ux_relay_outbox_signer_nonce"),
        sa.UniqueConstraint("tx_hash"),
    )
    _create_index("ix_relay_outbox_status", "relay_outbox", "signer", "status")

    _create_table(
        "reward_runs",
        _id(numbered=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        _status(),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        *_times(),
        sa.UniqueConstraint("idempotency_key"),
    )
    _create_table(
        "relay_claims",
        _word("record_id"),
        sa.Column("seq", sa.Integer(), nullable=False),
        _address("resident"),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        _word("evidence"),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        *_signature(),
        *_queued(),
        _word("tx_hash", nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=True),
        *_times(),
        sa.Column("voided", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        _address("reporter", nullable=True),
        _refers("outbox_id", "relay_outbox.id"),
        sa.PrimaryKeyConstraint("record_id"),
    )
    _create_index("ix_relay_claims_seq", "relay_claims", "seq")
    _create_index("ix_relay_claims_status_seq", "relay_claims", "status", "seq")
    _create_index(
        "ux_relay_claims_nonce", "relay_claims", "resident", "nonce", "voided", unique=True
    )

    _create_table(
        "relay_endorsements",
        _id(numbered=True),
        _word("digest"),
        _address("evaluator"),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        *_signature(),
        *_queued(),
        *_times(),
        _refers("outbox_id", "relay_outbox.id"),
    )
    _create_index("ix_relay_endorsements_evaluator", "relay_endorsements", "evaluator")
    _create_index("ix_relay_endorsements_status", "relay_endorsements", "status")
    _create_index(
        "ux_relay_endorsements_evaluator_digest",
        "relay_endorsements",
        "evaluator",
        "digest",
        unique=True,
    )

    _create_table(
        "reward_txs",
        _id(numbered=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        _address("signer"),
        sa.Column("nonce", sa.Integer(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        _word("tx_hash"),
        sa.Column("residents", sa.Text(), nullable=False),
        _status(),
        sa.Column("minted", sa.Text(), nullable=True),
        *_times(),
        _refers("run_id", "reward_runs.id"),
        sa.UniqueConstraint("signer", "nonce"),
    )
    _create_index("ix_reward_txs_run_id", "reward_txs", "run_id")

    _create_table(
        "relay_endorsement_records",
        sa.Column("endorsement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _word("record_id"),
        _refers("endorsement_id", "relay_endorsements.id"),
        _refers("record_id", "relay_claims.record_id"),
        sa.PrimaryKeyConstraint("endorsement_id", "position"),
    )
    _create_index("ix_relay_endorsement_records_record", "relay_endorsement_records", "record_id")

    _create_table(
        "relay_rejections",
        _word("record_id"),
        _address("resident"),
        _address("evaluator"),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _word("note_hash"),
        *_signature(),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        _refers("record_id", "relay_claims.record_id"),
        sa.PrimaryKeyConstraint("record_id"),
    )
    _create_index("ix_relay_rejections_at", "relay_rejections", "at")
    _create_index("ix_relay_rejections_resident", "relay_rejections", "resident")


def downgrade() -> None:
    """Drop every table of the baseline (its indexes go with it), each before the tables its
    foreign keys refer to."""
    for table in (
        "relay_rejections",
        "relay_endorsement_records",
        "reward_txs",
        "relay_endorsements",
        "relay_claims",
        "reward_runs",
        "relay_outbox",
        "relay_lock",
        "notice_acks",
        "index_events",
        "index_cursor",
        "index_blocks",
        "evidence_usage",
        "evidence_access",
        "evidence",
        "auth_sessions",
        "auth_nonces",
        "appeal_texts",
    ):
        op.drop_table(table)
