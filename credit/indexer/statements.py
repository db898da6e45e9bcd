"""The index's SQL statements and how their rows become :class:`~credit.fold.StoredEvent`s
(built once: building and caching a statement per call cost more than running it)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, select

from credit.fold import StoredEvent
from credit.store.index_tables import index_events
from credit.store.relay_tables import relay_claims

COLUMNS = (
    index_events.c.name,
    index_events.c.args,
    index_events.c.block_number,
    index_events.c.log_index,
    index_events.c.tx_hash,
    index_events.c.block_time,
)

# Statements of every resident read, built once (building and caching a statement per call
# cost more than running it)
RESIDENT_EVENTS = (
    select(*COLUMNS)
    .where(
        index_events.c.resident == bindparam("resident"),
        index_events.c.block_number <= bindparam("to"),
    )
    .order_by(index_events.c.block_number, index_events.c.log_index)
)
# Every event with its resident and, for records the relay received, the activity date (its
# signed ``occurredAt``, which relayed records carry only in calldata): what the whole-ledger
# fold reads, and each resident's summary is then served from it.
ALL_EVENTS_DATED = (
    select(*COLUMNS, index_events.c.resident, index_events.c.record_id, relay_claims.c.occurred_at)
    .select_from(
        index_events.outerjoin(relay_claims, relay_claims.c.record_id == index_events.c.record_id)
    )
    .order_by(index_events.c.block_number, index_events.c.log_index)
)
# The same for one resident: a summary in one round trip when it is not in memory.
RESIDENT_EVENTS_DATED = ALL_EVENTS_DATED.where(
    index_events.c.resident == bindparam("resident"),
    index_events.c.block_number <= bindparam("to"),
)
ResidentEvents = dict[str, tuple[tuple[StoredEvent, ...], dict[str, int]]]


def by_resident(rows: Sequence[Any], events: list[StoredEvent]) -> ResidentEvents:
    """Each resident's events and relayed activity dates, from rows of ``ALL_EVENTS_DATED``
    (or of ``RESIDENT_EVENTS_DATED``: then one resident's)."""
    lists: dict[str, list[StoredEvent]] = {}
    dates: dict[str, dict[str, int]] = {}
    for row, event in zip(rows, events, strict=True):
        if row.resident is None:
            continue
        lists.setdefault(row.resident, []).append(event)
        if row.occurred_at is not None:
            dates.setdefault(row.resident, {})[row.record_id] = int(row.occurred_at)
    return {r: (tuple(evs), dates.get(r, {})) for r, evs in lists.items()}


def stored_events(rows: Iterable[Any]) -> list[StoredEvent]:
    return [
        StoredEvent(
            r.name,
            json.loads(r.args),
            int(r.block_number),
            int(r.log_index),
            r.tx_hash,
            int(r.block_time),
        )
        for r in rows
    ]
