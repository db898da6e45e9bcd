"""Texts of appeals: which stored evidence item holds a resident's statement, their optional
evidence text, and the arbiter's reasoning. The texts live in the evidence store (salted
commitments, erasable); these rows only link them to the violation's record id."""

from sqlalchemy import Column, DateTime, String, Table

from credit.store.db import metadata

appeal_texts = Table(
    "appeal_texts",
    metadata,
    Column("record_id", String(66), primary_key=True),  # the violation's 0x record id
    Column("part", String(16), primary_key=True),  # "statement", "evidence" or "reasoning"
    Column("evidence_id", String(32), nullable=False),  # the evidence store's item
    Column("author", String(42), nullable=False),  # lower-case address of who signed it
    Column("created_at", DateTime(timezone=True), nullable=False),
)
