"""Tables of the relay: accepted claims, evaluators' endorsements and the transaction outbox.

Portable types only (SQLite and PostgreSQL). Ids, hashes and addresses are lower-case ``0x`` hex;
times are Unix seconds as floats. A claim moves ``waiting`` (quorum not met yet) -> ``pending``
(quorum met, ready to batch) -> ``queued`` (in a signed transaction stored in the outbox) ->
``sent`` -> ``credited``; or ``rejected`` with a reason at any point before ``credited``.
A violation report (``reporter`` set) goes the same way; ``credited`` means booked.
An outbox row is ``stored`` before it is broadcast, then ``sent``, then ``mined`` or ``failed``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from credit.store.columns import address, made_and_changed, raw_transaction, row_id, signature, word
from credit.store.db import metadata

CLAIM_STATUSES = ("waiting", "pending", "queued", "sent", "credited", "rejected")
OUTBOX_STATUSES = ("stored", "sent", "mined", "failed")

relay_claims = Table(
    "relay_claims",
    metadata,
    word("record_id", primary_key=True),
    Column("seq", Integer, nullable=False),  # acceptance order (planning fairness)
    address("resident"),
    Column("category", Integer, nullable=False),
    Column("units", Integer, nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    word("evidence"),
    Column("nonce", BigInteger, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    *signature(),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),  # JSON {"error": name, "args": {...}, "message": ...}
    Column("outbox_id", Integer, ForeignKey("relay_outbox.id"), nullable=True),
    word("tx_hash", nullable=True),
    Column("block", BigInteger, nullable=True),
    Column("points", BigInteger, nullable=True),
    *made_and_changed(),
    # 0 while the claim holds its nonce; its seq once it is rejected, which frees the nonce
    Column("voided", BigInteger, nullable=False, default=0, server_default=text("0")),
    # NULL for a resident's claim; for a violation report, the official who signed it. A report
    # holds no claim nonce of its resident (its ``nonce`` only tells identical reports apart):
    # it is stored with ``voided`` = its seq from the start, and nonce queries skip it.
    address("reporter", nullable=True),
)
Index("ix_relay_claims_status_seq", relay_claims.c.status, relay_claims.c.seq)  # oldest pending
# max(seq) on intake; unique: requests number their claims in turn (credit.relay.records.SEQ_LOCK)
Index("ux_relay_claims_seq", relay_claims.c.seq, unique=True)
# One live claim per resident nonce; a rejected one frees its nonce for a new signature: live
# claims all have ``voided`` 0, rejected ones each their own seq. Not a partial index on
# ``status``: the database rewrites such an index's entry at every status change (four in a
# relayed claim's life, each at a random place of the tree), which doubled the pages a relayed
# claim writes; ``voided`` changes once, at rejection. Its prefix serves lookups by resident.
Index(
    "ux_relay_claims_nonce",
    relay_claims.c.resident,
    relay_claims.c.nonce,
    relay_claims.c.voided,
    unique=True,
)

relay_endorsements = Table(
    "relay_endorsements",
    metadata,
    row_id(),
    # The EIP-712 digest of the Confirmation message. Not unique: evaluators who confirm the same
    # records as the same kind with the same deadline sign one message (one digest each).
    word("digest"),
    address("evaluator"),
    Column("kind", Integer, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    *signature(),
    Column("status", String(16), nullable=False),  # active | used | expired | invalid
    Column("reason", Text, nullable=True),
    Column("outbox_id", Integer, ForeignKey("relay_outbox.id"), nullable=True),
    *made_and_changed(),
    Index("ux_relay_endorsements_evaluator_digest", "evaluator", "digest", unique=True),
)
Index("ix_relay_endorsements_status", relay_endorsements.c.status)
Index("ix_relay_endorsements_evaluator", relay_endorsements.c.evaluator)

relay_endorsement_records = Table(
    "relay_endorsement_records",
    metadata,
    Column("endorsement_id", Integer, ForeignKey("relay_endorsements.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    word("record_id", ForeignKey("relay_claims.record_id")),
)
Index("ix_relay_endorsement_records_record", relay_endorsement_records.c.record_id)

relay_outbox = Table(
    "relay_outbox",
    metadata,
    row_id(),
    address("signer"),
    Column("nonce", BigInteger, nullable=False),
    raw_transaction(),
    word("tx_hash", unique=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("block", BigInteger, nullable=True),
    *made_and_changed(),
    UniqueConstraint("signer", "nonce", name="ux_relay_outbox_signer_nonce"),
)
Index("ix_relay_outbox_status", relay_outbox.c.signer, relay_outbox.c.status)

# Evaluators' signed rejections of claims held here (EIP-712 ``Rejection``, never on chain): one
# per claim, since a rejected claim is closed. ``note`` is the evaluator's text, ``note_hash``
# its keccak-256 (what was signed); ``at`` the chain time when it was accepted, which the notices
# engine reads as the rejection's time.
relay_rejections = Table(
    "relay_rejections",
    metadata,
    word("record_id", ForeignKey("relay_claims.record_id"), primary_key=True),
    address("resident"),
    address("evaluator"),
    Column("kind", Integer, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=False),
    word("note_hash"),
    *signature(),
    Column("at", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)
Index("ix_relay_rejections_at", relay_rejections.c.at)  # the notices' window
Index("ix_relay_rejections_resident", relay_rejections.c.resident)

# Transactions an outbox row sent and then replaced (same signer and nonce, higher fees: see
# credit.relay.senders). The row holds the newest; at most one of all of them is ever mined, and
# the relay settles the row by whichever it finds mined, so each earlier hash is kept here.
relay_outbox_replaced = Table(
    "relay_outbox_replaced",
    metadata,
    word("tx_hash", primary_key=True),
    Column("outbox_id", Integer, ForeignKey("relay_outbox.id"), nullable=False),
    Column("max_fee", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)
Index("ix_relay_outbox_replaced_outbox", relay_outbox_replaced.c.outbox_id)
