"""The public pages' data: indexed events shaped into :mod:`credit.gateway.public_models`.

Decisions:
- A record is public once the ledger booked it (``RecordCredited`` / ``ViolationRecorded``);
  claims waiting for confirmations are not records yet and get the same 404 as unknown ids.
- A relayed record names its evaluators (and its activity date) only in its transaction's
  calldata: they are recovered from the signatures there (:func:`credit.chain.record_origin.
  relayed_record`), exactly as the ledger did. Direct records name them in their events.
- Relay transactions are decoded once per process (:class:`RelayedOrigins`: a booked transaction
  never changes); an address page decodes every relay transaction not decoded yet, to find the
  records the address confirmed or reported by signature.
- Statements, reasons, evidence commitments: never shown, though their hashes are on chain.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from credit.chain.record_origin import RecordOrigin, relayed_records
from credit.chain.roles import checksum
from credit.fold import StoredEvent
from credit.gateway.errors import ApiError
from credit.gateway.public_models import (
    ChainRef,
    Confirmed,
    Confirmer,
    Kind,
    PublicAddress,
    PublicAppeal,
    PublicEpoch,
    PublicRecord,
    PublicTransaction,
    RecordRow,
    RewardRow,
)
from credit.gateway.services import Services
from credit.indexer import public_reads
from credit.ruleset import EvaluatorKind

LIST_LIMIT = 500
KINDS: dict[int, Kind] = {
    EvaluatorKind.SUPERIOR: "superior",
    EvaluatorKind.PEER: "peer",
    EvaluatorKind.PUBLIC: "public",
    EvaluatorKind.EXPERT: "expert",
}


class RelayedOrigins:
    """Relay transactions decoded from their calldata, once each (kept for the process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tx: dict[str, dict[str, RecordOrigin]] = {}

    def of(self, services: Services, tx_hash: str) -> dict[str, RecordOrigin]:
        """The records ``tx_hash`` carries, by record id (0x hex)."""
        found = self._by_tx.get(tx_hash)
        if found is None:
            decoded = relayed_records(services.system, tx_hash)
            found = {"0x" + rid.hex(): origin for rid, origin in decoded.items()}
            with self._lock:
                self._by_tx[tx_hash] = found
        return found


def reader(services: Services) -> Any:
    """The index, or 503 while it is not running."""
    if services.indexer is None:
        raise ApiError(503, "index_unavailable", "the indexer is not running: try again shortly")
    return services.indexer


def chain_ref(e: StoredEvent) -> ChainRef:
    """Where on chain ``e`` is."""
    return ChainRef(tx_hash=e.tx_hash, block_number=e.block_number, block_time=e.block_time)


def _rows(events: Iterable[StoredEvent]) -> list[RecordRow]:
    """Record rows of the booked records among ``events``, their appeal status from the rest."""
    events = list(events)
    status: dict[str, str] = {}
    for e in events:
        rid = str(e.args.get("recordId", "")).lower()
        if e.name == "AppealFiled":
            status[rid] = "appealed"
        elif e.name == "AppealResolved":
            status[rid] = "overturned" if e.args["overturned"] else "upheld"
    rows = []
    for e in events:
        if e.name not in public_reads.RECORD_EVENTS:
            continue
        a, rid = e.args, str(e.args["recordId"]).lower()
        credit = e.name == "RecordCredited"
        rows.append(
            RecordRow(
                record_id=rid,
                kind="credit" if credit else "violation",
                resident=checksum(a["resident"]),
                category=int(a["category"]),
                units=int(a["units"]),
                points=int(a["points"]) if credit else -int(a["deducted"]),
                rule_version=int(a["ruleVersion"]),
                status="credited" if credit else status.get(rid, "recorded"),  # type: ignore[arg-type]
                booked=chain_ref(e),
            )
        )
    return rows


def _booked_rows(index: Any, events: list[StoredEvent]) -> list[RecordRow]:
    """:func:`_rows` of ``events``, with the appeals of their violations read in too (an appeal
    is filed and decided after the record was booked, often in another epoch)."""
    violations = [str(e.args["recordId"]) for e in events if e.name == "ViolationRecorded"]
    appeals = public_reads.records_by_id(index, violations, public_reads.APPEAL_EVENTS)
    return _rows([*events, *appeals])


def record_page(services: Services, record_id: str, origins: RelayedOrigins) -> PublicRecord:
    """The public page of record ``record_id``; 404 ``no_record`` unless the ledger booked it."""
    index = reader(services)
    events = public_reads.record_events(index, record_id)
    rows = _rows(events)
    if not rows:
        raise ApiError(
            404,
            "no_record",
            f"the ledger has booked no record {record_id}: check the id (a claim still waiting "
            "for confirmations has no public page yet)",
        )
    row = rows[0]
    booked = next(e for e in events if e.name in public_reads.RECORD_EVENTS)
    direct = [
        Confirmer(address=checksum(e.args["evaluator"]), kind=KINDS[int(e.args["kind"])])
        for e in events
        if e.name == "ConfirmationRecorded"
    ]
    submitted = next((e for e in events if e.name in ("ClaimSubmitted", "ViolationReported")), None)
    occurred = int(submitted.args["occurredAt"]) if submitted else None
    reporter = submitted.args.get("reporter") if submitted else None
    relayed = submitted is None
    confirmations = direct
    if relayed:
        origin = origins.of(services, booked.tx_hash).get(record_id)
        if origin is not None:
            occurred, reporter = origin.occurred_at, origin.reporter
            confirmations = [
                Confirmer(address=checksum(a), kind=KINDS[k]) for a, k in origin.confirmations
            ]
    order = list(KINDS.values())
    confirmations.sort(key=lambda c: (order.index(c.kind), c.address.lower()))
    return PublicRecord(
        **row.model_dump(),
        epoch=index.schedule.epoch_at(booked.block_time),
        occurred_at=occurred,
        appeal_deadline=int(booked.args["appealDeadline"]) if row.kind == "violation" else None,
        reporter=checksum(reporter) if reporter else None,
        relayed=relayed,
        confirmations=confirmations,
        appeal=_appeal(events),
    )


def _appeal(events: list[StoredEvent]) -> PublicAppeal | None:
    filed = next((e for e in events if e.name == "AppealFiled"), None)
    if filed is None:
        return None
    resolved = next((e for e in events if e.name == "AppealResolved"), None)
    if resolved is None:
        return PublicAppeal(status="appealed", filed=chain_ref(filed))
    overturned = bool(resolved.args["overturned"])
    return PublicAppeal(
        status="overturned" if overturned else "upheld",
        filed=chain_ref(filed),
        resolved=chain_ref(resolved),
        arbiter=checksum(resolved.args["arbiter"]),
        restored=int(resolved.args["restored"]) if overturned else None,
    )


def _rewards(events: Iterable[StoredEvent]) -> list[RewardRow]:
    return [
        RewardRow(
            resident=checksum(e.args["resident"]),
            epoch=int(e.args["epoch"]),
            points=int(e.args["points"]),
            amount=str(int(e.args["amount"])),
            paid=chain_ref(e),
        )
        for e in events
        if e.name == "RewardMinted"
    ]


def epoch_page(services: Services, epoch: int) -> PublicEpoch:
    """Epoch ``epoch``: dates, records booked in it, rewards paid for it."""
    index = reader(services)
    schedule = index.schedule
    now = index.position()[2]
    current = schedule.epoch_at(now)
    if epoch > current:
        raise ApiError(
            404,
            "epoch_not_started",
            f"epoch {epoch} has not started yet: the ledger is in epoch {current}",
        )
    start = schedule.genesis + epoch * schedule.length
    end = start + schedule.length
    events = public_reads.epoch_events(index, start, end)
    records = _booked_rows(index, events)
    rewards = [r for r in _rewards(events) if r.epoch == epoch]
    return PublicEpoch(
        epoch=epoch,
        starts_at=start,
        ends_at=end,
        current=epoch == current,
        records=records[:LIST_LIMIT],
        records_count=len(records),
        points_credited=sum(r.points for r in records if r.points > 0),
        points_deducted=-sum(r.points for r in records if r.points < 0),
        rewards=rewards[:LIST_LIMIT],
        rewards_total=str(sum(int(r.amount) for r in rewards)),
        truncated=len(records) > LIST_LIMIT or len(rewards) > LIST_LIMIT,
    )


def address_page(services: Services, address: str, origins: RelayedOrigins) -> PublicAddress:
    """Records about ``address`` and records it confirmed (directly or relayed) or reported."""
    index = reader(services)
    who = address.lower()
    events = public_reads.address_events(index, who)
    registered = False
    for e in events:
        if str(e.args.get("resident", "")).lower() == who:
            if e.name == "ResidentRegistered":
                registered = True
            elif e.name == "ResidentDeregistered":
                registered = False
    about = [e for e in events if str(e.args.get("resident", "")).lower() == who]
    acts: dict[str, tuple[Kind | None, str]] = {}
    for e in events:
        rid = str(e.args.get("recordId", "")).lower()
        if e.name == "ConfirmationRecorded" and str(e.args["evaluator"]).lower() == who:
            acts[rid] = (KINDS[int(e.args["kind"])], "confirmed")
        elif e.name == "ViolationReported" and str(e.args["reporter"]).lower() == who:
            acts[rid] = (None, "reported")
    for tx_hash in public_reads.relay_transactions(index):
        for rid, origin in origins.of(services, tx_hash).items():
            if str(origin.reporter or "").lower() == who:
                acts.setdefault(rid, (None, "reported"))
            for evaluator, kind in origin.confirmations:
                if evaluator.lower() == who:
                    acts.setdefault(rid, (KINDS[kind], "confirmed"))
    booked = _booked_rows(index, public_reads.records_by_id(index, list(acts)))
    return PublicAddress(
        address=checksum(address),
        registered=registered,
        records=_rows(about)[-LIST_LIMIT:],
        acted=[
            Confirmed(record=r, kind=acts[r.record_id][0], role=acts[r.record_id][1])  # type: ignore[arg-type]
            for r in booked[-LIST_LIMIT:]
        ],
    )


def transaction_page(services: Services, tx_hash: str) -> PublicTransaction:
    """What transaction ``tx_hash`` booked; 404 ``no_transaction`` if none of the ledger's."""
    index = reader(services)
    events = public_reads.tx_events(index, tx_hash)
    if not events:
        raise ApiError(
            404,
            "no_transaction",
            f"no transaction {tx_hash} of this ledger is known: check the hash, or wait a "
            "moment if it was just sent",
        )
    first = events[0]
    return PublicTransaction(
        tx_hash=first.tx_hash,
        block_number=first.block_number,
        block_time=first.block_time,
        records=_booked_rows(index, events),
        rewards=_rewards(events),
        rule_versions=[int(e.args["ruleVersion"]) for e in events if e.name == "RuleSetPublished"],
    )
