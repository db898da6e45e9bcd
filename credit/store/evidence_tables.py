"""Off-chain evidence: only the salted commitment ever goes on chain."""

from sqlalchemy import Column, DateTime, Integer, LargeBinary, String, Table

from credit.store.db import metadata

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(32), primary_key=True),  # random, unguessable
    Column("owner", String(42), nullable=False, index=True),  # lower-case address
    Column("commitment", String(66), nullable=False, unique=True),  # 0x keccak(salt || content)
    Column("salt", LargeBinary(32), nullable=True),  # NULL once erased
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=True),  # NULL once erased
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)
