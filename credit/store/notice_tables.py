"""Residents' acknowledgements of notices (the notices themselves are recomputed, never stored)."""

from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, String, Table

from credit.store.db import metadata

notice_acks = Table(
    "notice_acks",
    metadata,
    Column("resident", String(42), nullable=False),  # lower-case address
    Column("notice_id", String(66), nullable=False),
    Column("acked_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("resident", "notice_id"),
)
