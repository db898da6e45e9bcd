"""Reads served from the index: ledger facts, a resident's credit, records and earnings.

Every read is bounded by the cursor (the last fully indexed block), so callers never see half a
page, and "now" is that block's time: the same database gives the same answers, whatever the wall
clock says (notices must be recomputable by an auditor). A resident's read is one indexed query on
``index_events.resident``; rule versions and whole-ledger facts are cached per cursor position.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from eth_utils import keccak
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from credit.facts import LedgerFacts
from credit.fold import (
    ResidentCredit,
    RuleVersion,
    Schedule,
    StoredEvent,
    fold_credit,
    fold_facts,
    occurred_dates,
    records_view,
)
from credit.indexer.statements import (
    ALL_EVENTS_DATED,
    RESIDENT_EVENTS,
    RESIDENT_EVENTS_DATED,
    ResidentEvents,
    by_resident,
    stored_events,
)
from credit.store.db import reader
from credit.store.index_tables import index_blocks, index_cursor, index_events
from credit.vocabulary import ARBITER_ROLE, KIND_ROLES

# AccessControl role id -> the EvaluatorKind its holders confirm as (CreditLedger's roles).
_KIND_OF_ROLE_ID = {"0x" + keccak(text=name).hex(): kind for kind, name in KIND_ROLES.items()}
_ARBITER_ROLE_ID = "0x" + keccak(text=ARBITER_ROLE).hex()


class IndexReader:
    """Query functions over the index tables of the ledger at ``ledger``."""

    def __init__(self, engine: Engine, ledger: str, epoch_length: int, genesis: int) -> None:
        self.engine = engine
        self.reads = reader(engine)  # one round trip a read on PostgreSQL (autocommit)
        self.ledger = ledger.lower()
        self.schedule = Schedule(epoch_length, genesis)
        self._cache_lock = threading.Lock()
        self._facts_lock = threading.Lock()  # one thread folds the facts; the others wait for it
        self._versions: tuple[tuple[int, str | None], list[RuleVersion]] | None = None
        self._facts: tuple[tuple[int, str | None, int], LedgerFacts] | None = None
        self._residents: tuple[tuple[int, str | None, int], ResidentEvents] | None = None
        self._kinds: tuple[tuple[int, str | None], dict[str, frozenset[int]]] | None = None
        self._arbiters: tuple[tuple[int, str | None], frozenset[str]] | None = None
        # The cursor as the writer last committed it (see ``pin_position``); None: read the table.
        self._pinned: tuple[int, str | None, int] | None = None

    def invalidate(self) -> None:
        """Forget cached reads (called after every write; reads also key caches by the cursor)."""
        with self._cache_lock:
            self._pinned = None
            self._versions = None
            self._facts = None
            self._residents = None
            self._kinds = None
            self._arbiters = None

    def pin_position(self) -> None:
        """Remember the cursor in memory: only the one writer of the index (the indexer, after it
        committed) may call this; reads then skip the cursor query until the next write."""
        self._pinned = self._stored_position()

    def refresh(self) -> bool:
        """Take the cursor as the indexer (in another process) last committed it, as
        :meth:`pin_position` does for the writer; True if the index moved since the last call.
        What a process serving reads beside the indexer runs when the indexer announces a move
        (:class:`~credit.indexer.follower.IndexFollower`): its reads then skip the cursor query,
        and whole-ledger reads stay cached until the index moves."""
        before, self._pinned = self._pinned, self._stored_position()
        return self._pinned != before

    def unpin(self) -> None:
        """Forget the pinned position: every read asks the database where the index stands."""
        self._pinned = None

    # ------------------------------------------------------------------ position
    def position(self, conn: Connection | None = None) -> tuple[int, str | None, int]:
        """``(block number, block hash, block time)`` of the last fully indexed block."""
        pinned = self._pinned
        if pinned is not None:
            return pinned
        return self._stored_position(conn)

    def _stored_position(self, conn: Connection | None = None) -> tuple[int, str | None, int]:
        if conn is None:
            with self.reads.connect() as c:
                return self._stored_position(c)
        row = conn.execute(
            select(index_cursor.c.block_number, index_cursor.c.block_hash, index_blocks.c.timestamp)
            .select_from(
                index_cursor.outerjoin(
                    index_blocks, index_blocks.c.number == index_cursor.c.block_number
                )
            )
            .where(index_cursor.c.id == 1)
        ).first()
        if row is None:
            return -1, None, self.schedule.genesis
        return int(row.block_number), row.block_hash, int(row.timestamp or self.schedule.genesis)

    def status(self) -> dict[str, Any]:
        """Where the index stands: block, hash, time and epoch."""
        number, block_hash, at = self.position()
        return {
            "block_number": number,
            "block_hash": block_hash,
            "block_time": at,
            "epoch": self.schedule.epoch_at(at),
        }

    # ------------------------------------------------------------------ whole ledger
    def facts(self, as_of_block: int | None = None) -> LedgerFacts:
        """Every ledger fact up to ``as_of_block`` (default and at most: the cursor)."""
        if as_of_block is None and self._pinned is not None:  # the usual read: no query at all
            cached, key = self._facts, self._pinned
            if cached is not None and cached[0] == key:
                return cached[1]
        with self.reads.connect() as conn:
            number, block_hash, at = self.position(conn)
            if as_of_block is not None and as_of_block < number:
                number = as_of_block
                at = (
                    conn.execute(
                        select(index_blocks.c.timestamp)
                        .where(index_blocks.c.number <= number)
                        .order_by(index_blocks.c.number.desc())
                        .limit(1)
                    ).scalar()
                    or self.schedule.genesis
                )
            key = (number, block_hash, int(at))
            cached = self._facts
            if cached is not None and cached[0] == key:
                return cached[1]
            # Folding every event takes a while on a large ledger: concurrent readers of the same
            # position wait for the one fold instead of each repeating it.
            with self._facts_lock:
                cached = self._facts
                if cached is not None and cached[0] == key:
                    return cached[1]
                rows = conn.execute(
                    ALL_EVENTS_DATED.where(index_events.c.block_number <= number)
                ).all()
                events = stored_events(rows)
                facts = fold_facts(
                    events, as_of_block=number, as_of_time=int(at), schedule=self.schedule
                )
                residents = by_resident(rows, events)
                with self._cache_lock:
                    self._facts = (key, facts)
                    self._residents = (key, residents)
        return facts

    def cached_resident_summary(self, address: str) -> dict[str, Any] | None:
        """:meth:`resident_summary` if everything it needs is in memory at the cursor (each
        resident's events are kept with the whole-ledger facts they were folded into, which a
        process serving notices holds anyway), else None: what an event loop may run inline."""
        pinned, residents, versions = self._pinned, self._residents, self._versions
        if pinned is None or residents is None or residents[0] != pinned:
            return None
        if versions is None or versions[0] != pinned[:2]:
            return None
        events, relayed = residents[1].get(address.lower(), ((), {}))
        return self._summary(address, list(events), relayed, versions[1], pinned, None)

    def cached_facts(self) -> LedgerFacts | None:
        """:meth:`facts` at the cursor if that needs no query at all (the writer's own reads)."""
        pinned, cached = self._pinned, self._facts
        if pinned is not None and cached is not None and cached[0] == pinned:
            return cached[1]
        return None

    def cached_evaluator_kinds(self) -> dict[str, frozenset[int]] | None:
        """:meth:`evaluator_kinds` if that needs no query at all, else None."""
        pinned, cached = self._pinned, self._kinds
        if pinned is not None and cached is not None and cached[0] == pinned[:2]:
            return cached[1]
        return None

    def evaluator_kinds(self) -> dict[str, frozenset[int]]:
        """Accounts holding an official evaluator role on the ledger at the cursor, with the
        EvaluatorKinds it confirms as (SUPERIOR 0, PUBLIC 2, EXPERT 3), from the indexed
        ``RoleGranted`` / ``RoleRevoked`` events: what the notices engine's ``roles`` needs."""
        pinned, cached = self._pinned, self._kinds
        if pinned is not None and cached is not None and cached[0] == pinned[:2]:
            return cached[1]
        with self.reads.connect() as conn:
            number, block_hash, _ = self.position(conn)
            cached = self._kinds
            if cached is not None and cached[0] == (number, block_hash):
                return cached[1]
            rows = conn.execute(
                select(index_events.c.name, index_events.c.args)
                .where(
                    index_events.c.name.in_(("RoleGranted", "RoleRevoked")),
                    index_events.c.address == self.ledger,
                    index_events.c.block_number <= number,
                )
                .order_by(index_events.c.block_number, index_events.c.log_index)
            )
            held: dict[str, set[int]] = {}
            arbiters: set[str] = set()
            for name, raw in rows:
                args = json.loads(raw)
                role, account = str(args["role"]).lower(), str(args["account"]).lower()
                if role == _ARBITER_ROLE_ID:
                    (arbiters.add if name == "RoleGranted" else arbiters.discard)(account)
                kind = _KIND_OF_ROLE_ID.get(role)
                if kind is None:
                    continue
                kinds = held.setdefault(account, set())
                (kinds.add if name == "RoleGranted" else kinds.discard)(kind)
        found = {a: frozenset(k) for a, k in held.items() if k}
        with self._cache_lock:
            self._kinds = ((number, block_hash), found)
            self._arbiters = ((number, block_hash), frozenset(arbiters))
        return found

    def arbiters(self) -> frozenset[str]:
        """Holders of ARBITER_ROLE on the ledger at the cursor (read with
        :meth:`evaluator_kinds`, from the same indexed events): who hears of appeals waiting."""
        while True:
            self.evaluator_kinds()
            kinds, arbiters = self._kinds, self._arbiters
            if kinds is not None and arbiters is not None and kinds[0] == arbiters[0]:
                return arbiters[1]

    def rule_versions(self, conn: Connection | None = None) -> list[RuleVersion]:
        """Published rule versions (with the terms credit expiry needs), oldest first."""
        if conn is None:
            with self.reads.connect() as c:
                return self.rule_versions(c)
        number, block_hash, _ = self.position(conn)
        cached = self._versions
        if cached is not None and cached[0] == (number, block_hash):
            return cached[1]
        rows = conn.execute(
            select(index_events.c.args)
            .where(index_events.c.name == "RuleSetPublished", index_events.c.block_number <= number)
            .order_by(index_events.c.block_number, index_events.c.log_index)
        )
        versions = []
        for (raw,) in rows:
            args = json.loads(raw)
            terms = args["terms"]
            versions.append(
                RuleVersion(
                    int(args["ruleVersion"]),
                    args["contentHash"],
                    int(terms["effectiveAt"]),
                    int(terms["expiryEpochs"]),
                )
            )
        with self._cache_lock:
            self._versions = ((number, block_hash), versions)
        return versions

    # ------------------------------------------------------------------ one resident
    def _resident_events(self, conn: Connection, address: str, number: int) -> list[StoredEvent]:
        return stored_events(
            conn.execute(RESIDENT_EVENTS, {"resident": address.lower(), "to": number})
        )

    def resident_credit(self, address: str, *, at_time: int | None = None) -> ResidentCredit:
        """The resident's credit as ``creditOf`` computes it, at ``at_time`` (default: cursor)."""
        with self.reads.connect() as conn:
            number, _, at = self.position(conn)
            events = self._resident_events(conn, address, number)
            versions = self.rule_versions(conn)
        return fold_credit(
            address.lower(), events, versions, self.schedule, at if at_time is None else at_time
        )

    def records_of(self, address: str) -> list[dict[str, Any]]:
        """The resident's credited, violation and pending records (JSON-safe), in chain order."""
        with self.reads.connect() as conn:
            number, _, at = self.position(conn)
            events = self._resident_events(conn, address, number)
        return records_view(
            fold_facts(events, as_of_block=number, as_of_time=at, schedule=self.schedule),
            occurred_dates(events),
        )

    def resident_summary(self, address: str, *, at_time: int | None = None) -> dict[str, Any]:
        """Credit (with expiry as on chain), earnings per epoch and records of ``address``; a
        record's ``occurred_at`` is the activity's date where the chain or the relay knows it."""
        with self.reads.connect() as conn:
            number, _, at = self.position(conn)
            rows = conn.execute(
                RESIDENT_EVENTS_DATED, {"resident": address.lower(), "to": number}
            ).all()
            versions = self.rule_versions(conn)
        events, relayed = by_resident(rows, stored_events(rows)).get(address.lower(), ((), {}))
        return self._summary(address, list(events), relayed, versions, (number, None, at), at_time)

    def _summary(
        self,
        address: str,
        events: list[StoredEvent],
        relayed: dict[str, int],
        versions: list[RuleVersion],
        position: tuple[int, str | None, int],
        at_time: int | None,
    ) -> dict[str, Any]:
        number, _, at = position
        when = at if at_time is None else at_time
        credit = fold_credit(address.lower(), events, versions, self.schedule, when)
        facts = fold_facts(events, as_of_block=number, as_of_time=at, schedule=self.schedule)
        return {
            "address": credit.address,
            "registered": credit.registered,
            "credit": credit.credit,
            "raw_balance": credit.raw_balance,
            "lapsed": credit.lapsed,
            "last_active_epoch": credit.last_active_epoch,
            "expiry_epochs": credit.expiry_epochs,
            "expires_after_epoch": credit.expires_after_epoch,
            "epoch": credit.epoch,
            "as_of_block": number,
            "as_of_time": when,
            "earnings": [
                {"epoch": e, "points": p, "paid": paid} for e, (p, paid) in credit.earnings.items()
            ],
            "records": records_view(facts, {**relayed, **occurred_dates(events)}),
        }
