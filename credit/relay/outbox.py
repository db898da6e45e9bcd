"""The durable outbox and the one signer worker that owns the relayer key.

A transaction is signed, then STORED (raw bytes) in the same database transaction that marks its
claims ``queued``, and only then broadcast. Retries and restarts re-send the stored bytes, never
a rebuilt transaction, so a claim is never lost and never sent twice: a duplicate broadcast is
answered "already known" or "nonce too low" and the receipt is looked up by hash instead.

One worker thread per key owns its nonces: the next one is the outbox's highest + 1 or the
node's pending count, whichever is higher. It signs and stores; a sender thread broadcasts the
stored rows in order, so that the next batch is signed while the node takes the previous one
(pipelining), and the worker settles what was mined.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Engine

from credit.chain import rawtx
from credit.relay import confirmations, records, transaction
from credit.relay.batch_tx import sign_batch
from credit.relay.core import RelayCore
from credit.relay.plan import Batch
from credit.relay.settle import settle
from credit.relay.stuck import StuckWatch, earlier_receipt
from credit.store.relay_tables import relay_claims, relay_outbox
from credit.store.retry import Backoff, log_retry

log = logging.getLogger(__name__)

FEES_TTL = 1.0  # seconds a base fee read is used for
MINED_CHECK_AFTER = 0.5  # seconds after its last send before a row's nonce is checked as mined
# With nothing in flight a worker polls this often (its rows are its own: a new one comes from
# its own store), not every poll_seconds: three idle keys cost PostgreSQL 150 queries a second.
IDLE_POLL_SECONDS = 1.0


@dataclass
class Hooks:
    """Test seams. ``after_store(outbox_id)`` runs after the row is committed, before broadcast."""

    after_store: Callable[[int], None] | None = None


@dataclass
class Job:
    """A planned batch handed to the signer; ``done`` is set once it is stored (or failed)."""

    batch: Batch
    done: threading.Event = field(default_factory=threading.Event)
    outbox_id: int | None = None
    error: BaseException | None = None


class SignerWorker:
    """The thread that signs, stores, broadcasts and settles the relayer key's transactions."""

    def __init__(
        self,
        core: RelayCore,
        account: LocalAccount,
        hooks: Hooks | None = None,
        *,
        resend_after: float = 5.0,
        poll_seconds: float = 0.02,
        replaced_after: float = 3.0,
        max_pending: int = 16,
        stuck_seconds: float = 30.0,
    ) -> None:
        self.core = core
        self.account = account
        self.signer = str(account.address).lower()
        self.hooks = hooks or Hooks()
        self.resend_after = resend_after
        self.replaced_after = replaced_after
        self._nonce_mined_at: dict[int, float] = {}  # outbox id -> when its nonce was seen mined
        self._node_nonce_known = False  # whether the node's pending count was read this run
        self._fees_at: tuple[float, dict[str, int]] | None = None
        self.poll_seconds = poll_seconds
        self.max_pending = max_pending  # rows stored or sent, not yet mined, before it waits
        self.in_flight = 0  # this key's open rows at the last poll (and stored since)
        self._idle_poll_at = 0.0  # monotonic time of the next poll with nothing in flight
        self.stuck = StuckWatch(stuck_seconds)
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._outgoing: queue.Queue[tuple[int, bytes]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker (idempotent); it first re-sends what a previous run left unmined."""
        if self.alive:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"signer-{self.signer}", daemon=True)
        self._sender = threading.Thread(
            target=self._send_stored, name=f"sender-{self.signer}", daemon=True
        )
        self._thread.start()
        self._sender.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (idempotent); stored rows stay in the outbox for the next start."""
        self._stop.set()
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(timeout)
        self._thread = self._sender = None
        while not self._outgoing.empty():  # stored, not sent: the next start re-sends them
            self._outgoing.get_nowait()
        while not self._jobs.empty():
            job = self._jobs.get_nowait()
            job.error = RuntimeError("the signer stopped")
            job.done.set()

    def submit(self, batch: Batch) -> Job:
        """Queue ``batch`` for signing; wait on ``job.done``."""
        job = Job(batch)
        self._jobs.put(job)
        return job

    # ------------------------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            self._loop()
        except SystemExit:  # a deliberate exit, as threading's default hook treats it
            log.warning("relay signer exited; its stored transactions are re-sent on next start")

    def _loop(self) -> None:
        recovered = False
        backoff = Backoff(0.5, cap=5.0)
        while not self._stop.is_set():
            try:
                if not recovered:  # what a previous run stored or sent but did not see mined
                    self._resend(every=True)
                    recovered = True
                job = None
                if self.in_flight < self.max_pending:  # else: wait for the node to mine some
                    with contextlib.suppress(queue.Empty):
                        job = self._jobs.get(timeout=self.poll_seconds)
                else:
                    self._stop.wait(self.poll_seconds)
                if job is not None:
                    self._sign_and_store(job)
                now = time.monotonic()
                if job is not None or self.in_flight or now >= self._idle_poll_at:
                    self._poll()  # idle: every IDLE_POLL_SECONDS, not every poll_seconds
                    self._idle_poll_at = now + IDLE_POLL_SECONDS
                backoff.reset()
            except Exception as exc:  # a node outage, a locked database: keep the rows, retry
                delay = backoff.failed()
                log_retry(log, "relay signer", exc, delay)
                self._stop.wait(delay)

    def _next_nonce(self) -> int:
        """The outbox's highest nonce + 1, or the node's pending count if higher. The node is
        asked on the first transaction and after a nonce was taken by another transaction,
        not before each one: the question waits for the block being mined, which would keep
        the next batch from being signed meanwhile."""
        with self.core.engine.connect() as conn:
            top = conn.execute(
                select(func.max(relay_outbox.c.nonce)).where(relay_outbox.c.signer == self.signer)
            ).scalar()
        local = -1 if top is None else int(top)
        if self._node_nonce_known and top is not None:
            return local + 1
        nonce = max(local + 1, rawtx.pending_nonce(self.core.system.w3, self.signer))
        self._node_nonce_known = True
        return nonce

    def _fees(self) -> dict[str, int]:
        """EIP-1559 fees from a base fee at most ``FEES_TTL`` seconds old (they allow the base
        fee to double, which takes several full blocks)."""
        now = time.monotonic()
        if self._fees_at is None or now - self._fees_at[0] > FEES_TTL:
            self._fees_at = (now, rawtx.current_fees(self.core.system.w3))
        return self._fees_at[1]

    def _sign_and_store(self, job: Job) -> None:
        try:
            oid, raw = self._store(job.batch)
        except BaseException as exc:
            job.error = exc
            job.done.set()
            if not isinstance(exc, Exception):
                raise
            return
        job.outbox_id = oid
        self.in_flight += 1
        job.done.set()
        if self.hooks.after_store is not None:
            self.hooks.after_store(oid)
        self._outgoing.put((oid, raw))

    def _send_stored(self) -> None:
        """The sender thread: broadcasts stored rows in nonce order (the order they were stored),
        so that the worker signs the next batch while the node takes this one. A row it fails
        to send stays ``stored`` and the worker re-sends it (``resend_after``)."""
        while not self._stop.is_set():
            try:
                oid, raw = self._outgoing.get(timeout=self.poll_seconds)
            except queue.Empty:
                continue
            try:
                self._broadcast(oid, raw)
            except Exception as exc:  # a locked database: the worker's re-send covers it
                log_retry(log, "relay sender", exc, self.resend_after)

    def _store(self, batch: Batch) -> tuple[int, bytes]:
        ids = [c.record_id for c in batch.claims]
        eids = [p.endorsement.id for p in batch.endorsements]
        with self.core.engine.connect() as conn:
            rows = records.claim_rows(conn, ids)
            ends = confirmations.endorsement_rows(conn, eids)
        nonce = self._next_nonce()
        fees = self._fees()
        raw, tx_hash = sign_batch(self.core.system, self.account, batch, rows, ends, nonce, fees)
        return self._keep(ids, eids, nonce, raw, tx_hash), raw

    def _keep(self, ids: list[str], eids: list[int], nonce: int, raw: bytes, tx_hash: str) -> int:
        """Store the signed transaction and queue its records in it, in one database
        transaction; the outbox row's id."""
        now = time.time()
        with transaction.write(self.core) as conn:
            oid = int(
                conn.execute(
                    insert(relay_outbox).values(
                        signer=self.signer,
                        nonce=nonce,
                        raw_tx=raw,
                        tx_hash=tx_hash,
                        status="stored",
                        attempts=0,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            moved = records.queue(conn, ids, eids, oid, tx_hash)
            if moved != len(ids):
                raise _Stale(f"{len(ids) - moved} claims of the batch changed while it was signed")
        return oid

    def _broadcast(self, oid: int, raw: bytes) -> None:
        """Send the stored bytes; the row becomes ``sent`` unless the node could not be reached."""
        error: str | None = None
        sent = True
        try:
            rawtx.broadcast(self.core.system.w3, raw)
        except rawtx.BroadcastError as exc:
            error, sent = str(exc), exc.reason in ("known", "nonce_low")
        except Exception as exc:  # connection refused, timeout
            error, sent = f"{type(exc).__name__}: {exc}", False
        now = time.time()
        values = {"oid": oid, "b_at": now, "b_error": error}
        with transaction.own_rows(self.core) as conn:  # claims first, then the row
            if sent:  # the row's claims still queued become sent, and a stored row sent
                conn.execute(_MARK_SENT, values)
                if conn.execute(_SENT_ROW, values).rowcount:
                    return
            conn.execute(_TRIED_ROW, values)  # sent before, settled meanwhile, or not sent

    def _open_rows(self) -> list[Any]:
        """This signer's rows not yet settled, by nonce (without their bytes: this runs every
        poll, and a batch's transaction is tens of kilobytes)."""
        with self.core.engine.connect() as conn:
            return list(conn.execute(_OPEN_ROWS, {"signer": self.signer}).all())

    def _resend(self, every: bool = False) -> None:
        """Re-broadcast stored rows, and sent rows unmined for ``resend_after`` (or all)."""
        limit = time.time() - (0 if every else self.resend_after)
        due = [row.id for row in self._open_rows() if every or row.updated_at < limit]
        if not due:
            return
        with self.core.engine.connect() as conn:
            q = (
                select(relay_outbox.c.id, relay_outbox.c.raw_tx)
                .where(relay_outbox.c.id.in_(due))
                .order_by(relay_outbox.c.nonce)
            )
            stored = list(conn.execute(q).all())
        for row in stored:
            self._broadcast(row.id, row.raw_tx)

    def _poll(self) -> None:
        """Settle the rows whose transactions were mined; re-send those that look lost.

        A row whose nonce is mined but whose receipt the node does not return is settled as
        replaced only once that lasts ``replaced_after`` seconds: a node can count a mined nonce
        an instant before it serves the receipt (anvil does), and requeueing claims that were in
        fact credited would send them again into a revert."""
        w3, mined_count = self.core.system.w3, None
        rows = self._open_rows()
        self.in_flight = len(rows)
        for row in rows:
            receipt = rawtx.lean_receipt_of(w3, row.tx_hash)
            if receipt is None:
                if time.time() - row.updated_at < MINED_CHECK_AFTER:
                    continue  # just sent: the node is still on it
                if mined_count is None:
                    mined_count = rawtx.mined_nonce(w3, self.signer)
                if mined_count <= row.nonce:
                    continue  # not mined yet
                # the nonce is mined: by this transaction, one it replaced, or another one
                receipt = earlier_receipt(w3, self.core.engine, row.id)
                if receipt is None and (
                    self._replaced(row.id)
                    and rawtx.lean_receipt_of(w3, row.tx_hash) is None
                    and earlier_receipt(w3, self.core.engine, row.id) is None
                ):
                    self._nonce_mined_at.pop(row.id, None)
                    self._node_nonce_known = False  # ask the node again before the next one
                    settle(self.core, row.id, None)  # another transaction took our nonce
                    self.in_flight -= 1
                if receipt is None:
                    continue
            self._nonce_mined_at.pop(row.id, None)
            settle(self.core, row.id, receipt)
            self.in_flight -= 1
        if rows:
            self._resend()
            self.stuck.check(self, rows, mined_count)

    def _replaced(self, oid: int) -> bool:
        """Whether row ``oid``'s nonce has been mined without its receipt for long enough."""
        now = time.monotonic()
        first = self._nonce_mined_at.setdefault(oid, now)
        return now - first >= self.replaced_after


class _Stale(RuntimeError):
    """The planned claims moved on while the batch was being signed; plan again."""


_o = relay_outbox.c
_OPEN_ROWS = (  # built once: this runs on every poll of the signer
    select(_o.id, _o.nonce, _o.tx_hash, _o.status, _o.updated_at)
    .where(_o.signer == bindparam("signer"), _o.status.in_(("stored", "sent")))
    .order_by(_o.nonce)
)
# Statements of every broadcast, built once
_MARK_SENT = (  # the row's claims still queued (the status index finds them) become sent
    update(relay_claims)
    .where(relay_claims.c.status == "queued", relay_claims.c.outbox_id == bindparam("oid"))
    .values(status="sent", updated_at=bindparam("b_at"))
)
_TRIED_ROW = (
    update(relay_outbox)
    .where(_o.id == bindparam("oid"))
    .values(attempts=_o.attempts + 1, updated_at=bindparam("b_at"), error=bindparam("b_error"))
)
_SENT_ROW = _TRIED_ROW.where(_o.status == "stored").values(status="sent")  # settled: left alone


def outbox_rows(engine: Engine, signer: str | None = None) -> list[dict[str, Any]]:
    """Every outbox row (oldest nonce first), for status pages and tests."""
    q = select(relay_outbox).order_by(relay_outbox.c.signer, relay_outbox.c.nonce)
    if signer is not None:
        q = q.where(relay_outbox.c.signer == signer.lower())
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
