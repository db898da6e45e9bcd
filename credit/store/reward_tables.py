"""Reward runs (idempotent by key) and their transactions (stored before broadcast)."""

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from credit.store.columns import address, made_and_changed, raw_transaction, row_id, word
from credit.store.db import metadata

reward_runs = Table(
    "reward_runs",
    metadata,
    row_id(),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("body_hash", String(64), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # accepted | running | done | failed
    Column("total", Integer, nullable=False, default=0),
    Column("paid", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    *made_and_changed(),
)

reward_txs = Table(
    "reward_txs",
    metadata,
    row_id(),
    Column("run_id", Integer, ForeignKey("reward_runs.id"), nullable=False, index=True),
    address("signer"),
    Column("nonce", Integer, nullable=False),
    raw_transaction(),
    word("tx_hash"),
    Column("residents", Text, nullable=False),  # JSON list
    Column("status", String(16), nullable=False),  # stored | sent | mined | failed
    Column("minted", Text, nullable=True),  # JSON of RewardMinted events once mined
    *made_and_changed(),
    UniqueConstraint("signer", "nonce"),
)
