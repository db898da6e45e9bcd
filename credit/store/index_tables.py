"""Tables of the indexer: block headers, decoded events of our contracts, and the cursor.

Events are keyed by ``(block_hash, log_index)``, so the same log position in two competing blocks
never collides and a reorg removes exactly the rows of orphaned blocks. ``resident`` (the address
an event is about, lower-case) and ``record_id`` are copied out of ``args`` so per-resident reads
use an index; ``args`` keeps the full decoded event as JSON text (portable: no JSON column type).
Times are Unix seconds (block times as integers, ``indexed_at`` as a float).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from credit.store.columns import address, row_id, word
from credit.store.db import metadata

# Headers of the blocks that hold our events, plus the block each indexing page ended on.
index_blocks = Table(
    "index_blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    word("hash"),
    word("parent_hash"),
    Column("timestamp", BigInteger, nullable=False),
)

index_events = Table(
    "index_events",
    metadata,
    word("block_hash", primary_key=True),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_time", BigInteger, nullable=False),
    word("tx_hash"),
    address("address"),
    Column("name", String(64), nullable=False),
    address("resident", nullable=True),
    word("record_id", nullable=True),
    Column("args", Text, nullable=False),
    Column("indexed_at", Float, nullable=False),
)
Index(
    "ix_index_events_resident",
    index_events.c.resident,
    index_events.c.block_number,
    index_events.c.log_index,
)
Index("ix_index_events_record_id", index_events.c.record_id)
Index("ix_index_events_block", index_events.c.block_number, index_events.c.log_index)
Index("ix_index_events_name", index_events.c.name, index_events.c.block_number)

# One row (id = 1): the last block whose events are all stored, and which deployment they are of.
index_cursor = Table(
    "index_cursor",
    metadata,
    row_id(numbered=False),
    address("ledger"),
    Column("block_number", BigInteger, nullable=False),
    word("block_hash", nullable=True),
    Column("updated_at", Float, nullable=False),
)
