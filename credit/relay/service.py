"""The relay service: accepts signed claims and confirmations, batches them, reports status.

``Relay(parts)`` runs two threads once started: the batcher (plans a batch when
``batch_max_size`` claims are ready or ``batch_window_seconds`` after the first one) and the
signer workers (:class:`credit.relay.senders.SenderPool`: one per relayer key, the only user of
its nonces). Started in the API process (the embedded shape) or in ``credit relay run``
(:mod:`credit.workers`), which holds the relay's lease: one relay per pool. API processes
that do not start it use its intake only. Status changes run one at a time in
:func:`credit.relay.transaction.write` transactions, across threads and processes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from credit.chain import relay_reads as chain
from credit.chain.relay_reads import RuleInForce
from credit.errors import Refusal, Unknown
from credit.relay import (
    confirm,
    confirmations,
    intake,
    pending,
    records,
    reject,
    reports,
    transaction,
)
from credit.relay.core import RelayParts
from credit.relay.models import ClaimIn, ConfirmationIn, RejectionIn, ReportIn
from credit.relay.outbox import Hooks
from credit.relay.plan import MAX_BATCH, Quorum, plan_batch
from credit.relay.rows import claim_row_of
from credit.relay.senders import SenderPool
from credit.relay.status import claim_status_of
from credit.store.relay_tables import relay_claims

log = logging.getLogger(__name__)

DEADLINE_MARGIN_SECONDS = 120  # a signature must stay valid this long after it is received
EXPIRY_SLACK_SECONDS = 15  # an open claim this close to its deadline is rejected as expired
# Signature checks are CPU work under the GIL: more request threads doing them at once than there
# are cores only slow down the thread holding the relay's lock (storing, confirming), which then
# holds it longer while every other request waits for it (measured: 1 beats 2 by about 5 %).
CHECKS_AT_ONCE = 1
RULE_TTL_SECONDS = 2.0
EXPIRY_CHECK_SECONDS = 1.0  # expiry sweeps at most this often (a chain read and two queries)
# A batch is planned from the residents of the oldest PLAN_WINDOW * batch_max_size pending claims
# (all pending claims when that batch is not full: nothing waits behind a stuck window).
PLAN_WINDOW = 2


def quorum_of(rule: RuleInForce) -> Quorum:
    """The planner's view of an on-chain category rule."""
    weights = (rule.weight_of(0), rule.weight_of(1), rule.weight_of(2), rule.weight_of(3))
    return Quorum(rule.threshold, rule.min_confirmations, weights, rule.required_kinds)


class _Rules(Mapping[int, Quorum]):
    """Quorums of the rules in force, read from the chain on first use and kept briefly; one
    instance answers each category the same way for its whole life (one plan, one refresh)."""

    def __init__(self, relay: Relay) -> None:
        self._relay = relay
        self._seen: dict[int, Quorum | None] = {}

    def __getitem__(self, category: int) -> Quorum:
        if category not in self._seen:
            rule = self._relay.rule_in_force(category)
            usable = rule is not None and not rule.automated  # violations: for reports
            self._seen[category] = quorum_of(rule) if rule is not None and usable else None
        quorum = self._seen[category]
        if quorum is None:
            raise KeyError(category)
        return quorum

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._relay._rule_cache))

    def __len__(self) -> int:
        return len(self._relay._rule_cache)


class Relay:
    """Relays accepted claims in batches through one signer worker (see module doc)."""

    def __init__(
        self,
        parts: RelayParts,
        *,
        hooks: Hooks | None = None,
        deadline_margin: int = DEADLINE_MARGIN_SECONDS,
        idle_seconds: float = 0.5,
    ) -> None:
        self.engine = parts.engine
        self.system = parts.system
        self.settings = parts.settings
        self.max_records = min(self.settings.batch_max_size, 256)
        self.deadline_margin = deadline_margin
        self.max_deadline = self.settings.max_claim_deadline_seconds
        self.max_waiting = self.settings.max_waiting_claims_per_resident
        self.idle_seconds = idle_seconds
        # relay writes of this process, one at a time (measured against the confirmations-first
        # WriteTurns it replaced, on the embedded path: 1,033 vs 983 relayed records/s)
        self.lock = threading.RLock()
        self.checking = threading.BoundedSemaphore(CHECKS_AT_ONCE)
        # one signer worker per relayer key (credit.relay.senders): K = relayer_pool_size
        self.signer = SenderPool.from_settings(self, parts.relayer.account, self.settings, hooks)
        self._rule_cache: dict[int, tuple[float, RuleInForce | None]] = {}
        self._wake = threading.Event()
        self._next_expiry_check = 0.0  # monotonic time of the next expiry sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the signer worker and the batcher (idempotent)."""
        self.signer.start()
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="relay-batcher", daemon=True)
        self._thread.start()
        self.wake()

    def stop(self) -> None:
        """Stop both threads (idempotent); unsent work stays in the database."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None
        self.signer.stop()

    def wake(self) -> None:
        """Ask the batcher to look for work now (a relay worker in another process looks
        every ``idle_seconds`` instead)."""
        self._wake.set()

    # -------------------------------------------------------------------- rules
    def rule_in_force(self, category: int) -> RuleInForce | None:
        """The category's rule in force (cached for a moment)."""
        hit = self._rule_cache.get(category)
        now = time.monotonic()
        if hit is not None and now - hit[0] < RULE_TTL_SECONDS:
            return hit[1]
        rule = chain.rule_in_force(self.system, category)
        self._rule_cache[category] = (now, rule)
        return rule

    def rules(self) -> Mapping[int, Quorum]:
        """Quorums by category, from the rules in force."""
        return _Rules(self)

    # -------------------------------------------------------------------- intake
    def accept_claim(self, payload: ClaimIn) -> dict[str, Any]:
        """Check and store a signed claim; its status (``waiting`` for confirmations)."""
        checked = intake.check_claims(self, [payload], cpu=self.checking)
        [check] = intake.store_claims(self, checked)
        if check.error is not None:
            raise check.error
        assert check.row is not None
        return self.claim_status(check.row["record_id"])

    def accept_claims(self, payloads: Sequence[ClaimIn]) -> list[ClaimOutcome]:
        """Check each signed claim as :meth:`accept_claim` does and store the good ones in one
        database transaction; the outcome of each, in request order."""
        checked = intake.check_claims(self, payloads, cpu=self.checking)
        return [_outcome(c) for c in intake.store_claims(self, checked)]

    def accept_report(self, payload: ReportIn) -> dict[str, Any]:
        """Check and store an official's signed violation report; its status (``waiting`` for
        confirmations by evaluators of the kinds its category requires).
        :class:`~credit.relay.reports.ReportRefused` if the ledger would refuse it."""
        with self.checking:
            row = reports.check_report(self, payload)
        reports.store_report(self, row)
        return self.claim_status(row["record_id"])

    def accept_confirmation(self, payload: ConfirmationIn) -> dict[str, Any]:
        """Check and store a signed confirmation; the status of each claim it confirms."""
        row, ids = confirm.check_confirmation(self, payload)
        stored = confirm.store_confirmation(self, row, ids)
        self.wake()
        rules = self.rules()
        return {
            "endorsement_id": stored.endorsement_id,
            "claims": [
                claim_status_of(c, rules, stored.active, stored.statuses.get(c["record_id"]))
                for c in stored.claims
            ],
        }

    def reject_claim(self, record_id: str, payload: RejectionIn) -> dict[str, Any]:
        """Check and store an evaluator's signed rejection of a held claim
        (:mod:`credit.relay.reject`); the claim's status and the ids of the claims it closed."""
        checked = reject.check_rejection(self, record_id, payload)
        closed = reject.store_rejection(self, checked)
        return {"claim": self.claim_status(checked.record_id), "closed": closed}

    # -------------------------------------------------------------------- status
    def claim_status(self, record_id: str) -> dict[str, Any]:
        """Where a claim is: waiting (with its tally vs the quorum), pending, queued, sent,
        credited (tx, block, points) or rejected (with the decoded reason)."""
        found = self.claim_statuses([record_id])
        if not found:
            raise Unknown("not_found", f"no claim {record_id} was received by this gateway")
        return found[0]

    def claim_statuses(self, record_ids: list[str]) -> list[dict[str, Any]]:
        """:meth:`claim_status` of each of ``record_ids`` received here, in order (unknown ids
        are left out), read together: a confirmation of 100 claims answers with two queries."""
        ids = [r.lower() for r in record_ids]
        with self.engine.connect() as conn:
            rows = {
                r["record_id"]: claim_row_of(r)
                for r in conn.execute(
                    select(relay_claims).where(relay_claims.c.record_id.in_(ids))
                ).mappings()
            }
            open_ids = [i for i in ids if i in rows and rows[i]["status"] in records.OPEN]
            active = confirmations.endorsements_of(conn, open_ids) if open_ids else []
        rules = self.rules()
        return [claim_status_of(rows[i], rules, active) for i in ids if i in rows]

    def resident_claims(
        self, resident: str, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The resident's claims received here, newest first (each as :meth:`claim_status`,
        with ``seq`` for paging and ``submitted_at``): at most ``limit``, older than the claim
        numbered ``before`` if given."""
        c = relay_claims.c
        q = select(c.record_id).where(c.resident == resident.lower(), c.reporter.is_(None))
        if before is not None:
            q = q.where(c.seq < before)
        with self.engine.connect() as conn:
            ids = list(conn.execute(q.order_by(c.seq.desc()).limit(limit)).scalars())
        return self.claim_statuses(ids)

    def confirmation_queue(self, evaluator: str, limit: int = 100) -> list[dict[str, Any]]:
        """Waiting claims that ``evaluator`` could still confirm, residents in turn (each one's
        oldest first: :func:`credit.relay.records.confirmation_queue`)."""
        with self.engine.connect() as conn:
            ids = records.confirmation_queue(conn, evaluator.lower(), limit)
        return self.claim_statuses(ids)

    # -------------------------------------------------------------------- batcher
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.idle_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                if time.monotonic() >= self._next_expiry_check:
                    self._expire()
                    self._next_expiry_check = time.monotonic() + EXPIRY_CHECK_SECONDS
                window = self.settings.batch_window_seconds
                if window > 0 and self._ready() < self.settings.batch_max_size:
                    self._stop.wait(window)
                while not self._stop.is_set() and self._dispatch():
                    pass
            except Exception:
                log.exception("relay batcher: retrying after an error")
                self._stop.wait(0.5)

    def _ready(self) -> int:
        """How many claims are pending (an upper bound of what a plan can take: one count, not
        a plan, on every wake-up)."""
        with self.engine.connect() as conn:
            return pending.count_pending(conn)

    def _dispatch(self) -> bool:
        """Plan one batch and hand it to the signer; True if there may be more to do."""
        size, rules = self.settings.batch_max_size, self.rules()
        with self.engine.connect() as conn:
            claims, endorsements, partial = pending.plan_input(conn, PLAN_WINDOW * size)
            if not claims:
                return False
            batch = plan_batch(claims, endorsements, rules, size)
            if partial and len(batch) < min(size, MAX_BATCH):  # what fills it may lie beyond
                claims, endorsements, _ = pending.plan_input(conn)
                batch = plan_batch(claims, endorsements, rules, size)
        if not batch.claims:
            return False
        job = self.signer.submit(batch)
        while not job.done.wait(0.05):
            if self._stop.is_set() or not self.signer.alive:
                if not self._stop.is_set():
                    log.warning(
                        "relay batcher: the signer stopped before storing a batch of %d claims; "
                        "they stay pending",
                        len(batch.claims),
                    )
                return False
        if job.error is not None:
            log.error(
                "relay batcher: the signer could not store a batch of %d claims (they stay "
                "pending): %r",
                len(batch.claims),
                job.error,
            )
            return False
        return True

    def _expire(self) -> None:
        """Reject open claims and drop endorsements that would expire before being mined.

        Looked for first without the relay's lock, taken only when something expires: the
        sweep runs every second, and every request that stores a claim or a confirmation waits
        for that lock (measured at 100,000 residents: 146 sweeps with nothing to expire held it
        for 17 ms each, wait and commit included, on a busy machine)."""
        limit = chain.chain_time(self.system) + EXPIRY_SLACK_SECONDS
        with self.engine.connect() as conn:
            if records.expired(conn, limit) == ([], []):
                return
        with transaction.write(self) as conn:
            stale_claims, stale_ends = records.expired(conn, limit)
            if not stale_claims and not stale_ends:
                return
            reason = records.reason_json(
                "Expired", "the signature expired before its quorum was reached: sign again"
            )
            affected = records.reject(conn, stale_claims, reason)
            named = [
                r
                for e in confirmations.endorsements_of(conn)
                if e.id in stale_ends
                for r in e.records
            ]
            confirmations.set_endorsements(conn, stale_ends, "expired")
            pending.refresh(conn, [*affected, *named], self.rules())


@dataclass(frozen=True)
class ClaimOutcome:
    """One claim of a bulk request: accepted (``waiting`` for confirmations) under its record
    id, or refused with ``error`` (its record id if the digest was computed)."""

    index: int
    record_id: str | None
    error: Refusal | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


def _outcome(check: intake.ClaimCheck) -> ClaimOutcome:
    """One claim's outcome: accepted with its record id, or the typed refusal."""
    if check.error is None and check.row is not None:
        return ClaimOutcome(check.index, check.row["record_id"])
    assert check.error is not None
    return ClaimOutcome(check.index, check.record_id, check.error)
