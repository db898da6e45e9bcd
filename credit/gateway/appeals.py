"""Appeals off chain: the texts behind the on-chain commitments, and what an arbiter decides on.

The resident's statement, their optional evidence text and the arbiter's reasoning are items of
the evidence store (``text/plain``): on chain there is only ``keccak256(salt || text)`` (the
store's commitment), signed as the Appeal's ``statement`` or the Decision's ``reason``. Salted,
not ``keccak256(text)``: a short text ("I was not there", "Upheld") could otherwise be found by
guessing, and erasing the item (content and salt) leaves a commitment nobody can link to
anything again. ``appeal_texts`` links each item to the violation's record id.

An appeal's view is read from the index (the violation, its report, the direct confirmations, the
appeal and the decision events) plus, for a relayed report, its transaction's calldata.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from credit.chain.record_origin import relayed_report
from credit.errors import RuleError
from credit.gateway.errors import ApiError, NotFound
from credit.gateway.evidence import EvidenceRecord, EvidenceStore
from credit.gateway.services import Services
from credit.ruleset import EvaluatorKind
from credit.store.appeal_tables import appeal_texts
from credit.store.db import writer
from credit.store.evidence_tables import evidence
from credit.store.index_tables import index_events

# Bounds of the texts (UTF-8 bytes): a statement or a reasoning is read by a person, not filed.
STATEMENT_MAX_BYTES = 4000
EVIDENCE_TEXT_MAX_BYTES = 4000
REASONING_MAX_BYTES = 4000
PARTS = ("statement", "evidence", "reasoning")
OFFICIAL_KINDS = {"SUPERIOR": "superior", "PUBLIC_PANEL": "public", "EXPERT": "expert"}


class TextMismatch(ApiError):
    """A text item that is not the caller's, not plain text, too long or not the signed one."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(422, f"{part}_mismatch", message)


@dataclass(frozen=True)
class StoredText:
    """One text of an appeal, read back from the evidence store."""

    evidence_id: str
    author: str
    commitment: str
    text: str | None  # None once erased

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "erased": self.text is None}


def check_text(
    store: EvidenceStore,
    part: str,
    evidence_id: str,
    author: str,
    max_bytes: int,
    commitment: str | None = None,
) -> None:
    """Refuse (422 ``<part>_mismatch``) an item that is not ``author``'s plain text of at most
    ``max_bytes`` bytes committing to ``commitment`` (when given)."""
    try:
        record = store.get(evidence_id)
    except NotFound as exc:
        raise TextMismatch(part, f"no stored {part} {evidence_id}: upload it first") from exc
    if record.owner != author.lower():
        raise TextMismatch(part, f"the {part} must be one you stored yourself")
    if record.erased_at is not None:
        raise TextMismatch(part, f"the {part} was erased: write it again")
    if record.media_type != "text/plain":
        raise TextMismatch(part, f"the {part} must be stored as text/plain")
    if record.size > max_bytes:
        raise TextMismatch(part, f"the {part} is limited to {max_bytes} bytes: shorten it")
    if commitment is not None and record.commitment.lower() != commitment.lower():
        raise TextMismatch(part, f"the signed {part} hash is not the stored {part}: sign again")


def owned_text_id(engine: Engine, commitment: str, owner: str) -> str | None:
    """The id of ``owner``'s live evidence item with ``commitment``, if any."""
    with engine.connect() as conn:
        found = conn.execute(
            select(evidence.c.id).where(
                evidence.c.commitment == commitment.lower(),
                evidence.c.owner == owner.lower(),
                evidence.c.erased_at.is_(None),
            )
        ).scalar()
    return None if found is None else str(found)


def link_text(engine: Engine, record_id: str, part: str, evidence_id: str, author: str) -> None:
    """Remember that ``evidence_id`` is ``part`` of the appeal on ``record_id`` (first one wins:
    the chain accepts one appeal and one decision per violation)."""
    row = {
        "record_id": record_id.lower(),
        "part": part,
        "evidence_id": evidence_id,
        "author": author.lower(),
        "created_at": datetime.now(UTC),
    }
    key = (appeal_texts.c.record_id == row["record_id"]) & (appeal_texts.c.part == part)
    with writer(engine), engine.begin() as conn:
        if conn.execute(select(appeal_texts.c.part).where(key)).first() is None:
            conn.execute(insert(appeal_texts).values(**row))


TextReadLog = Callable[[EvidenceRecord, str], None]  # (the text's record, the record id) -> log


def texts_of(
    engine: Engine, store: EvidenceStore, record_id: str, logged: TextReadLog | None = None
) -> dict[str, StoredText]:
    """The stored texts of the appeal on ``record_id``, by part; ``logged`` writes the access
    log row of each text read (before it is returned)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(appeal_texts).where(appeal_texts.c.record_id == record_id.lower())
        ).mappings()
        links = [dict(r) for r in rows]
    out: dict[str, StoredText] = {}
    for link in links:
        record = store.get(link["evidence_id"])
        text: str | None = None
        if record.erased_at is None:
            # the appeal routes decided who may read; the store's own check is for its routes
            _, content, _ = store.read(record.id, record.owner, frozenset())
            if logged is not None:
                logged(record, record_id.lower())
            text = content.decode("utf-8", errors="replace")
        out[link["part"]] = StoredText(record.id, link["author"], record.commitment, text)
    return out


# ------------------------------------------------------------------------------ index reads
def _events(engine: Engine, where: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                index_events.c.name,
                index_events.c.args,
                index_events.c.block_time,
                index_events.c.tx_hash,
                index_events.c.record_id,
            )
            .where(where)
            .order_by(index_events.c.block_number, index_events.c.log_index)
        )
        return [
            {
                "name": r.name,
                "args": json.loads(r.args),
                "time": int(r.block_time),
                "tx": r.tx_hash,
                "record_id": r.record_id,
            }
            for r in rows
        ]


def appealed_record_ids(engine: Engine, status: str) -> list[str]:
    """Record ids of appeals, oldest first: ``open`` (not decided yet), ``decided`` or ``all``."""
    events = _events(engine, index_events.c.name.in_(("AppealFiled", "AppealResolved")))
    filed = [e["record_id"] for e in events if e["name"] == "AppealFiled"]
    decided = {e["record_id"] for e in events if e["name"] == "AppealResolved"}
    if status == "open":
        return [r for r in filed if r not in decided]
    if status == "decided":
        return [r for r in filed if r in decided]
    return filed


def violation_resident(engine: Engine, record_id: str) -> str | None:
    """The lower-case address the violation ``record_id`` is about (None if not indexed)."""
    where = (index_events.c.record_id == record_id.lower()) & (
        index_events.c.name == "ViolationRecorded"
    )
    found = _events(engine, where)
    return str(found[0]["args"]["resident"]).lower() if found else None


def _lower(value: Any) -> str:
    return str(value).lower()


def _evidence_hex(value: Any) -> str:
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def appeal_view(
    services: Services,
    store: EvidenceStore,
    record_id: str,
    roles_of: Callable[[str], frozenset[str]],
    logged: TextReadLog | None = None,
) -> dict[str, Any]:
    """Everything about the violation ``record_id`` an arbiter decides on and the resident reads:
    the report (rule, units, points, reporter and their kinds, evidence), its confirmations by
    kind, the appeal with the statement, and the decision with its reasoning."""
    rid = record_id.lower()
    events = _events(services.engine, index_events.c.record_id == rid)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_name.setdefault(e["name"], []).append(e)
    if "ViolationRecorded" not in by_name:
        raise NotFound(f"no violation {record_id} is recorded (yet): check the record id")
    recorded = by_name["ViolationRecorded"][0]
    a = recorded["args"]
    reporter: str | None = None
    occurred_at: int | None = None
    evidence_ref: str | None = None
    confirmations = [
        (str(c["args"]["evaluator"]), int(c["args"]["kind"]))
        for c in by_name.get("ConfirmationRecorded", [])
    ]
    if "ViolationReported" in by_name:  # reported directly: everything is in the events
        r = by_name["ViolationReported"][0]["args"]
        reporter, occurred_at, evidence_ref = r["reporter"], int(r["occurredAt"]), r["evidence"]
    else:  # relayed: the report and its endorsements are in the transaction's calldata
        origin = relayed_report(services.system, recorded["tx"], bytes.fromhex(rid[2:]))
        if origin is not None:
            reporter, occurred_at = origin.reporter, origin.occurred_at
            evidence_ref = "0x" + origin.evidence.hex()
            confirmations = list(origin.confirmations)
    category = int(a["category"])
    try:
        rule = services.ruleset.category(category)
        title: dict[str, str] | None = {"en": rule.title.en, "zh": rule.title.zh}
        key: str | None = rule.key
    except RuleError:  # a category of an older rule set: the number still tells it
        title, key = None, None
    reporter_kinds = (
        sorted(OFFICIAL_KINDS[r] for r in roles_of(reporter) if r in OFFICIAL_KINDS)
        if reporter
        else []
    )
    by_kind: dict[str, int] = {}
    listed = []
    for evaluator, kind in confirmations:
        name = EvaluatorKind(kind).name.lower()
        by_kind[name] = by_kind.get(name, 0) + 1
        listed.append({"evaluator": evaluator, "kind": name})
    evidence_ref = _evidence_hex(evidence_ref) if evidence_ref is not None else None
    evidence_id = None
    if evidence_ref is not None and int(evidence_ref, 16):
        with services.engine.connect() as conn:
            found = conn.execute(
                select(evidence.c.id).where(evidence.c.commitment == evidence_ref.lower())
            ).scalar()
        evidence_id = None if found is None else str(found)
    texts = texts_of(services.engine, store, rid, logged)
    filed = by_name.get("AppealFiled", [None])[0]
    resolved = by_name.get("AppealResolved", [None])[0]
    status = "recorded"
    if resolved is not None:
        status = "overturned" if resolved["args"]["overturned"] else "upheld"
    elif filed is not None:
        status = "open"
    statement = texts.get("statement")
    reasoning = texts.get("reasoning")
    return {
        "record_id": rid,
        "resident": _lower(a["resident"]),
        "status": status,
        "report": {
            "category": category,
            "category_key": key,
            "rule_title": title,
            "rule_version": int(a["ruleVersion"]),
            "units": int(a["units"]),
            "points": int(a["points"]),
            "deducted": int(a["deducted"]),
            "occurred_at": occurred_at,
            "reporter": _lower(reporter) if reporter else None,
            "reporter_kinds": reporter_kinds,
            "evidence": evidence_ref,
            "evidence_id": evidence_id,
            "recorded_at": recorded["time"],
            "tx_hash": recorded["tx"],
        },
        "confirmations": listed,
        "confirmations_by_kind": by_kind,
        "appeal_deadline": int(a["appealDeadline"]),
        "appeal": None
        if filed is None
        else {
            "appealed_at": filed["time"],
            "tx_hash": filed["tx"],
            "statement_hash": _evidence_hex(filed["args"]["statement"]),
            "statement": None if statement is None else statement.public(),
            "evidence": None if "evidence" not in texts else texts["evidence"].public(),
        },
        "decision": None
        if resolved is None
        else {
            "overturned": bool(resolved["args"]["overturned"]),
            "restored": int(resolved["args"]["restored"]),
            "arbiter": _lower(resolved["args"]["arbiter"]),
            "decided_at": resolved["time"],
            "tx_hash": resolved["tx"],
            "reason_hash": _evidence_hex(resolved["args"]["reason"]),
            "reasoning": None if reasoning is None else reasoning.public(),
        },
    }
