"""The durable outbox and the one signer worker that owns the relayer key.

A transaction is signed, then STORED (raw bytes) in the same database transaction that marks its
claims ``queued``, and only then broadcast. Retries and restarts re-send the stored bytes, never
a rebuilt transaction, so a claim is never lost and never sent twice: a duplicate broadcast is
answered "already known" or "nonce too low" and the receipt is looked up by hash instead.

One worker thread per key owns its nonces: the next one is the outbox's highest + 1 or the
node's pending count, whichever is higher.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from credit.chain import rawtx
from credit.chain.deploy import System
from credit.relay import records
from credit.relay.plan import Batch
from credit.relay.settle import settle
from credit.store.relay_tables import relay_claims, relay_endorsements, relay_outbox

log = logging.getLogger(__name__)


class RelayCore(Protocol):
    """What the worker needs from the relay service."""

    engine: Engine
    system: System
    lock: threading.RLock

    def rules(self) -> Any: ...
    def wake(self) -> None: ...


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
    ) -> None:
        self.core = core
        self.account = account
        self.signer = str(account.address).lower()
        self.hooks = hooks or Hooks()
        self.resend_after = resend_after
        self.poll_seconds = poll_seconds
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (idempotent); stored rows stay in the outbox for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
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
        while not self._stop.is_set():
            try:
                if not recovered:  # what a previous run stored or sent but did not see mined
                    self._resend(every=True)
                    recovered = True
                try:
                    job = self._jobs.get(timeout=self.poll_seconds)
                except queue.Empty:
                    job = None
                if job is not None:
                    self._sign_and_store(job)
                self._poll()
            except Exception:  # a node outage: keep the rows, try again
                log.exception("relay signer: retrying after an error")
                self._stop.wait(0.5)

    def _next_nonce(self) -> int:
        with self.core.engine.connect() as conn:
            top = conn.execute(
                select(func.max(relay_outbox.c.nonce)).where(relay_outbox.c.signer == self.signer)
            ).scalar()
        local = -1 if top is None else int(top)
        return max(local + 1, rawtx.pending_nonce(self.core.system.w3, self.signer))

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
        job.done.set()
        if self.hooks.after_store is not None:
            self.hooks.after_store(oid)
        self._broadcast(oid, raw)

    def _store(self, batch: Batch) -> tuple[int, bytes]:
        core, ids = self.core, [c.record_id for c in batch.claims]
        with core.engine.connect() as conn:
            rows = {
                r["record_id"]: r
                for r in conn.execute(
                    select(relay_claims).where(relay_claims.c.record_id.in_(ids))
                ).mappings()
            }
            eids = [p.endorsement.id for p in batch.endorsements]
            ends = {
                r["id"]: r
                for r in conn.execute(
                    select(relay_endorsements).where(relay_endorsements.c.id.in_(eids))
                ).mappings()
            }
        claims = [records.claim_tuple(rows[i]) for i in ids]
        endorsements = [
            records.endorsement_tuple(ends[p.endorsement.id], p.mask) for p in batch.endorsements
        ]
        nonce = self._next_nonce()
        gas = rawtx.relay_gas(
            len(claims), len(endorsements), sum(bin(p.mask).count("1") for p in batch.endorsements)
        )
        fees = rawtx.current_fees(core.system.w3)
        raw, tx_hash = rawtx.build_relay_claims_tx(
            core.system, self.account, claims, endorsements, nonce, gas, fees
        )
        now = time.time()
        with core.lock, core.engine.begin() as conn:
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
            moved = records.set_status(
                conn, ids, "queued", only=("pending",), outbox_id=oid, tx_hash=tx_hash
            )
            if moved != len(ids):
                raise _Stale(f"{len(ids) - moved} claims of the batch changed while it was signed")
            records.set_endorsements(conn, eids, "active", outbox_id=oid)
        return oid, raw

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
        with self.core.lock, self.core.engine.begin() as conn:
            row = (
                conn.execute(select(relay_outbox).where(relay_outbox.c.id == oid)).mappings().one()
            )
            values: dict[str, Any] = {
                "attempts": row["attempts"] + 1,
                "updated_at": time.time(),
                "error": error,
            }
            if sent and row["status"] == "stored":
                values["status"] = "sent"
                records.set_status(conn, _ids_of(conn, oid), "sent", only=("queued",))
            conn.execute(update(relay_outbox).where(relay_outbox.c.id == oid).values(**values))

    def _open_rows(self) -> list[Any]:
        """This signer's rows not yet settled, by nonce."""
        with self.core.engine.connect() as conn:
            q = (
                select(relay_outbox)
                .where(relay_outbox.c.signer == self.signer)
                .where(relay_outbox.c.status.in_(("stored", "sent")))
                .order_by(relay_outbox.c.nonce)
            )
            return list(conn.execute(q).all())

    def _resend(self, every: bool = False) -> None:
        """Re-broadcast stored rows, and sent rows unmined for ``resend_after`` (or all)."""
        limit = time.time() - (0 if every else self.resend_after)
        for row in self._open_rows():
            if every or row.updated_at < limit:
                self._broadcast(row.id, row.raw_tx)

    def _poll(self) -> None:
        """Settle the rows whose transactions were mined; re-send those that look lost."""
        w3, mined_count = self.core.system.w3, None
        rows = self._open_rows()
        for row in rows:
            receipt = rawtx.receipt_of(w3, row.tx_hash)
            if receipt is None:
                if mined_count is None:
                    mined_count = rawtx.mined_nonce(w3, self.signer)
                if mined_count > row.nonce and rawtx.receipt_of(w3, row.tx_hash) is None:
                    settle(self.core, row.id, None)  # another transaction took our nonce
                continue
            settle(self.core, row.id, receipt)
        if rows:
            self._resend()


class _Stale(RuntimeError):
    """The planned claims moved on while the batch was being signed; plan again."""


def _ids_of(conn: Any, oid: int) -> list[str]:
    return list(
        conn.execute(
            select(relay_claims.c.record_id).where(relay_claims.c.outbox_id == oid)
        ).scalars()
    )


def outbox_rows(engine: Engine, signer: str | None = None) -> list[dict[str, Any]]:
    """Every outbox row (oldest nonce first), for status pages and tests."""
    q = select(relay_outbox).order_by(relay_outbox.c.signer, relay_outbox.c.nonce)
    if signer is not None:
        q = q.where(relay_outbox.c.signer == signer.lower())
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
