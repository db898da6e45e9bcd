"""Reads behind the public pages: a record's events, an epoch's, an address's, rule versions.

Only indexed chain events, bounded by the cursor like every other read (:class:`IndexReader`).
Each read returns :class:`StoredEvent` values with the address of the contract that emitted
them dropped; the gateway shapes them into its public models.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from credit.fold import StoredEvent
from credit.indexer.queries import IndexReader
from credit.indexer.statements import COLUMNS, stored_events
from credit.store.index_tables import index_events

_ORDER = (index_events.c.block_number, index_events.c.log_index)
# Events that make a record, by where they stand in its life.
RECORD_EVENTS = ("RecordCredited", "ViolationRecorded")
APPEAL_EVENTS = ("AppealFiled", "AppealResolved")


def record_events(reader: IndexReader, record_id: str) -> list[StoredEvent]:
    """Every indexed event about ``record_id`` (0x hex), in chain order."""
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(*COLUMNS)
            .where(
                index_events.c.record_id == record_id.lower(),
                index_events.c.block_number <= number,
            )
            .order_by(*_ORDER)
        )
        return stored_events(rows)


def tx_events(reader: IndexReader, tx_hash: str) -> list[StoredEvent]:
    """The indexed events of transaction ``tx_hash``, in log order."""
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(*COLUMNS)
            .where(index_events.c.tx_hash == tx_hash.lower(), index_events.c.block_number <= number)
            .order_by(*_ORDER)
        )
        return stored_events(rows)


def epoch_events(reader: IndexReader, start: int, end: int) -> list[StoredEvent]:
    """Records booked in ``[start, end)`` (block time) and every reward payment, chain order."""
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(*COLUMNS)
            .where(
                index_events.c.block_number <= number,
                or_(
                    index_events.c.name.in_(RECORD_EVENTS)
                    & (index_events.c.block_time >= start)
                    & (index_events.c.block_time < end),
                    index_events.c.name == "RewardMinted",
                ),
            )
            .order_by(*_ORDER)
        )
        return stored_events(rows)


def address_events(reader: IndexReader, address: str) -> list[StoredEvent]:
    """Events about resident ``address`` and the direct confirmations and reports it made."""
    who = address.lower()
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        about = conn.execute(
            select(*COLUMNS)
            .where(index_events.c.resident == who, index_events.c.block_number <= number)
            .order_by(*_ORDER)
        )
        events = stored_events(about)
        # confirmations and reports name the evaluator only inside ``args``
        by = conn.execute(
            select(*COLUMNS)
            .where(
                index_events.c.name.in_(("ConfirmationRecorded", "ViolationReported")),
                index_events.c.block_number <= number,
                func.lower(index_events.c.args).contains(who[2:]),
            )
            .order_by(*_ORDER)
        )
        seen = {(e.block_number, e.log_index) for e in events}
        for e in stored_events(by):
            actor = str(e.args.get("evaluator") or e.args.get("reporter") or "").lower()
            if actor == who and (e.block_number, e.log_index) not in seen:
                events.append(e)
    return sorted(events, key=lambda e: (e.block_number, e.log_index))


def records_by_id(
    reader: IndexReader, record_ids: list[str], names: tuple[str, ...] = RECORD_EVENTS
) -> list[StoredEvent]:
    """The events named ``names`` (by default: those that book a record) of ``record_ids``."""
    if not record_ids:
        return []
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(*COLUMNS)
            .where(
                index_events.c.record_id.in_([r.lower() for r in record_ids]),
                index_events.c.name.in_(names),
                index_events.c.block_number <= number,
            )
            .order_by(*_ORDER)
        )
        return stored_events(rows)


def rule_set_events(reader: IndexReader) -> list[StoredEvent]:
    """``RuleSetPublished`` events (with their terms), oldest first."""
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(*COLUMNS)
            .where(index_events.c.name == "RuleSetPublished", index_events.c.block_number <= number)
            .order_by(*_ORDER)
        )
        return stored_events(rows)


def relay_transactions(reader: IndexReader) -> list[str]:
    """Hashes of the transactions that booked relayed records (records with no direct
    ``ClaimSubmitted`` / ``ViolationReported``), oldest first."""
    direct = select(index_events.c.record_id).where(
        index_events.c.name.in_(("ClaimSubmitted", "ViolationReported"))
    )
    with reader.reads.connect() as conn:
        number = reader.position(conn)[0]
        rows = conn.execute(
            select(index_events.c.tx_hash, func.min(index_events.c.block_number))
            .where(
                index_events.c.name.in_(RECORD_EVENTS),
                index_events.c.block_number <= number,
                index_events.c.record_id.not_in(direct),
            )
            .group_by(index_events.c.tx_hash)
            .order_by(func.min(index_events.c.block_number))
        )
        return [str(r[0]) for r in rows]
