"""Who may read a record's evidence, and the access log of every read.

Decisions, in one place so that every route that serves evidence decides alike:

- **Entitlement is per record.** :func:`can_read_evidence` answers for one record that carries
  an evidence commitment (a claim, a violation report, an appeal): the evaluators whose kind the
  record's category accepts (weight above zero in the rule in force: a SUPERIOR, EXPERT or
  PUBLIC_PANEL role holder, or any registered resident as PEER), never the party the record is
  about; for reports and appeals also the arbiters. Holding an official role is not enough by
  itself: an expert reads the evidence of categories experts may confirm, nothing else.
- **The owner always reads their own evidence**, and those reads are logged too (as ``owner``),
  so the log is the whole story of an item.
- **Every read is logged once, before the content leaves**: who (address), in what capacity,
  which evidence, for which record, why (``purpose``), what (content or metadata), when. If the
  log cannot be written the read fails: no read goes unlogged. The log holds no content, salt or
  digest, so erasing the evidence keeps its rows.
- **Reading the log**: a resident (or an official who uploaded evidence) reads the rows of their
  own evidence; the auditors named in ``CREDIT_AUDITOR_ADDRESSES`` read all rows. Nobody else.

The "reports" and "appeals" parts of the gateway call :func:`can_read_evidence` with their
record (``EvidenceSubject(kind="report" | "appeal", ...)``) and serve the content through
:meth:`EvidenceAccess.read_for`, which checks and logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from credit.chain.relay_reads import RuleInForce
from credit.chain.roles import ARBITER, EXPERT, PUBLIC_PANEL, RESIDENT, SUPERIOR
from credit.gateway.deps import Account
from credit.gateway.errors import ApiError, Forbidden, NotFound
from credit.gateway.evidence import EvidenceRecord, EvidenceStore
from credit.store.db import writer
from credit.store.evidence_tables import evidence_access
from credit.store.relay_tables import relay_claims

RecordKind = Literal["claim", "report", "appeal"]
# EvaluatorKind index -> its name (as in the relay) and the gateway role that may confirm as it
KINDS: tuple[tuple[str, str], ...] = (
    ("SUPERIOR", SUPERIOR),
    ("PEER", RESIDENT),
    ("PUBLIC", PUBLIC_PANEL),
    ("EXPERT", EXPERT),
)
OWNER = "owner"
ZERO32 = "0x" + "00" * 32
MAX_PAGE = 200


@dataclass(frozen=True)
class EvidenceSubject:
    """A record that carries an evidence commitment, as far as reading its evidence goes."""

    kind: RecordKind
    record_id: str
    party: str  # the resident who filed the claim, or whom the report or appeal is about
    category: int
    commitment: str


def evaluator_kinds(
    account: Account, subject: EvidenceSubject, rule: RuleInForce | None
) -> list[str]:
    """Kinds (``SUPERIOR``, ``PEER``, ``PUBLIC``, ``EXPERT``) ``account`` may evaluate
    ``subject`` as: held by the account, accepted by the category's rule, never the party's own."""
    if rule is None or account.address.lower() == subject.party.lower():
        return []
    return [
        name
        for index, (name, role) in enumerate(KINDS)
        if rule.weight_of(index) > 0 and account.has(role)
    ]


def can_read_evidence(
    account: Account, subject: EvidenceSubject, rule: RuleInForce | None
) -> str | None:
    """The capacity in which ``account`` may read ``subject``'s evidence, or None.

    An evaluator of a kind the category accepts (see :func:`evaluator_kinds`): that kind's name;
    for a report or an appeal, an arbiter: ``ARBITER``. Not the owner's own access (an owner reads
    their evidence as :data:`OWNER`, decided by :meth:`EvidenceAccess.read_for`)."""
    if subject.kind != "appeal":
        kinds = evaluator_kinds(account, subject, rule)
        if kinds:
            return kinds[0]
    if subject.kind in ("report", "appeal") and account.has(ARBITER):
        return ARBITER
    return None


def claim_subject(claim: dict[str, object]) -> EvidenceSubject:
    """A relay claim status (``Relay.claim_statuses``) as an evidence subject."""
    return EvidenceSubject(
        kind="claim",
        record_id=str(claim["record_id"]),
        party=str(claim["resident"]),
        category=int(claim["category"]),  # type: ignore[call-overload]
        commitment=str(claim["evidence"]).lower(),
    )


@dataclass(frozen=True)
class EvidenceRead:
    """What one logged read returned."""

    record: EvidenceRecord
    content: bytes
    salt: bytes
    capacity: str


class EvidenceAccess:
    """Evidence reads that are checked per record and logged; the access log's pages."""

    def __init__(
        self,
        store: EvidenceStore,
        engine: Engine,
        rule_of: Callable[[int], RuleInForce | None] | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.rule_of = rule_of  # category -> the rule in force (the relay's, cached)

    def read_for(
        self,
        account: Account,
        subject: EvidenceSubject,
        rule: RuleInForce | None,
        *,
        purpose: str,
    ) -> EvidenceRead:
        """The content of ``subject``'s evidence for ``account`` (its owner, or a reader
        :func:`can_read_evidence` admits), logged once. 403 if not entitled, 404 if the record
        has no evidence kept here, 410 if the owner erased it."""
        record = self.store.find(subject.commitment) if subject.commitment != ZERO32 else None
        is_owner = record is not None and record.owner == account.address.lower()
        capacity = OWNER if is_owner else can_read_evidence(account, subject, rule)
        if capacity is None:
            raise Forbidden(
                f"{account.address} may not read the evidence of {subject.record_id}: only its "
                "owner and the evaluators of a kind this category accepts may"
            )
        if record is None:
            raise NotFound(
                f"{subject.record_id} has no evidence kept here",
                {"record_id": subject.record_id},
            )
        _, content, salt = self.store.open(record)
        self.log(record, account.address, capacity, subject.record_id, purpose, "content")
        return EvidenceRead(record, content, salt, capacity)

    def read_by_id(
        self, account: Account, evidence_id: str, *, content: bool
    ) -> tuple[EvidenceRecord, bytes, bytes]:
        """An evidence item by its id: for its owner, for an evaluator entitled through a claim
        that carries its commitment, or for an arbiter (appeal evidence); logged once."""
        record = self.store.get(evidence_id)
        capacity, record_id, purpose = OWNER, None, "own"
        if record.owner != account.address.lower():
            found = self._claim_capacity(account, record.commitment)
            if found is not None:
                capacity, record_id = found
                purpose = "confirm"
            elif account.has(ARBITER):
                capacity, purpose = ARBITER, "decide appeal"
            else:
                raise Forbidden(
                    "only the resident who uploaded it and the evaluators entitled to a record "
                    "that carries it may read evidence"
                )
        _, data, salt = self.store.open(record)
        self.log(
            record,
            account.address,
            capacity,
            record_id,
            purpose,
            "content" if content else "metadata",
        )
        return record, data, salt

    def _claim_capacity(self, account: Account, commitment: str) -> tuple[str, str] | None:
        """The capacity and record through which ``account`` may read evidence ``commitment``:
        a claim carrying it that ``account`` may evaluate (a few at most carry one)."""
        if self.rule_of is None:
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(relay_claims.c.record_id, relay_claims.c.resident, relay_claims.c.category)
                .where(relay_claims.c.evidence == commitment.lower())
                .limit(10)
            ).all()
        for row in rows:
            subject = EvidenceSubject(
                "claim", row.record_id, row.resident, row.category, commitment
            )
            capacity = can_read_evidence(account, subject, self.rule_of(row.category))
            if capacity is not None:
                return capacity, row.record_id
        return None

    def log(
        self,
        record: EvidenceRecord,
        reader: str,
        capacity: str,
        record_id: str | None,
        purpose: str,
        what: str,
        *,
        once_within: int | None = None,
    ) -> None:
        """Write one access-log row (no content).

        ``once_within`` seconds, for a read shown on a page that refreshes itself (an arbiter's
        inbox re-reads every few seconds): no row if this reader read this item for this record
        and purpose within that time, so the log says who saw what and when without a row per
        refresh."""
        if once_within is not None and self._seen(record, reader, record_id, purpose, once_within):
            return
        row = {
            "evidence_id": record.id,
            "owner": record.owner,
            "reader": reader.lower(),
            "capacity": capacity,
            "record_id": record_id,
            "purpose": purpose,
            "what": what,
            "at": datetime.now(UTC),
        }
        with writer(self.engine), self.engine.begin() as conn:
            conn.execute(insert(evidence_access).values(**row))

    def _seen(
        self, record: EvidenceRecord, reader: str, record_id: str | None, purpose: str, within: int
    ) -> bool:
        c = evidence_access.c
        since = datetime.now(UTC) - timedelta(seconds=within)
        with self.engine.connect() as conn:
            seen = conn.execute(
                select(c.id)
                .where(
                    c.evidence_id == record.id,
                    c.reader == reader.lower(),
                    c.record_id == record_id,
                    c.purpose == purpose,
                    c.at >= since,
                )
                .limit(1)
            ).first()
        return seen is not None

    def page(
        self,
        *,
        owner: str | None = None,
        reader: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> tuple[list[dict[str, object]], int | None]:
        """Rows newest first (``owner``/``reader``: only theirs; ``before``: ids below it), and
        the ``before`` of the next page (None at the end)."""
        return access_rows(self.engine, owner=owner, reader=reader, before=before, limit=limit)


def access_rows(
    engine: Engine,
    *,
    owner: str | None = None,
    reader: str | None = None,
    before: int | None = None,
    limit: int | None = 50,
) -> tuple[list[dict[str, object]], int | None]:
    """Access-log rows newest first and the cursor of the next page (the operator's export
    passes ``limit=None`` for all)."""
    q = select(evidence_access).order_by(evidence_access.c.id.desc())
    if owner is not None:
        q = q.where(evidence_access.c.owner == owner.lower())
    if reader is not None:
        q = q.where(evidence_access.c.reader == reader.lower())
    if before is not None:
        q = q.where(evidence_access.c.id < before)
    if limit is not None:
        q = q.limit(limit + 1)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    for r in rows:
        at = r["at"]
        if isinstance(at, datetime) and at.tzinfo is None:
            r["at"] = at.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
    return rows, (int(rows[-1]["id"]) if more and rows else None)


def is_auditor(account: Account, auditors: list[str]) -> bool:
    """Whether the signed-in ``account`` is one of ``CREDIT_AUDITOR_ADDRESSES``."""
    return account.address.lower() in auditors


def no_claim(record_id: str) -> ApiError:
    """404 alike for a claim never received and one the caller may not read."""
    return NotFound(
        f"no claim {record_id.lower()} that you may read: a resident reads their own claims, an "
        "evaluator the claims of categories their kind may confirm"
    )
