"""Off-chain evidence: only the salted commitment ever goes on chain."""

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, String, Table

from credit.store.columns import address, row_id, word
from credit.store.db import metadata

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(32), primary_key=True),  # random, unguessable
    address("owner", index=True),  # lower-case address
    word("commitment", unique=True),  # 0x keccak(salt || content)
    Column("salt", LargeBinary(32), nullable=True),  # NULL once erased
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=True),  # NULL once erased
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)

# One row (id 1): the evidence not erased, in items and bytes, moved by every upload and erasure
# in their transactions, so the total budget is checked without summing the whole table (a sum
# took 110 ms at 100,000 rows, 660 ms at 1,000,000); recounted from ``evidence`` at every start.
# An upload updates it first, so two uploads cannot both take the last room.
evidence_usage = Table(
    "evidence_usage",
    metadata,
    row_id(numbered=False),
    Column("live_items", BigInteger, nullable=False),
    Column("live_bytes", BigInteger, nullable=False),
)

# Who read which evidence, in what capacity, for which record and why: one row per read of an
# evidence item's content or metadata (the owner's own reads too, as "owner"). It holds no
# content, salt or digest, so erasing the evidence keeps it: the supervision of data use outlives
# the data. Read by the owner (their own evidence's rows) and by auditors (all rows).
evidence_access = Table(
    "evidence_access",
    metadata,
    row_id(),
    Column("evidence_id", String(32), nullable=False, index=True),
    address("owner", index=True),  # lower-case, the evidence's owner
    address("reader"),  # lower-case address of who read it
    Column("capacity", String(20), nullable=False),  # owner, SUPERIOR, PEER, PUBLIC, EXPERT, ...
    word("record_id", nullable=True),  # the record it was read for, if any
    Column("purpose", String(40), nullable=False),  # confirm, decide appeal, review report, own
    Column("what", String(10), nullable=False),  # content or metadata
    Column("at", DateTime(timezone=True), nullable=False),
)
