"""Reward runs (idempotent by key) and their transactions (stored before broadcast)."""

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from credit.store.db import metadata

reward_runs = Table(
    "reward_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("body_hash", String(64), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # accepted | running | done | failed
    Column("total", Integer, nullable=False, default=0),
    Column("paid", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

reward_txs = Table(
    "reward_txs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("reward_runs.id"), nullable=False, index=True),
    Column("signer", String(42), nullable=False),
    Column("nonce", Integer, nullable=False),
    Column("raw_tx", LargeBinary, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("residents", Text, nullable=False),  # JSON list
    Column("status", String(16), nullable=False),  # stored | sent | mined | failed
    Column("minted", Text, nullable=True),  # JSON of RewardMinted events once mined
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("signer", "nonce"),
)
