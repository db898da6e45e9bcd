"""Reward runs: an operator asks once (Idempotency-Key); the gateway's minter key pays each
eligible resident exactly once, durably.

Each mint transaction is signed and stored before it is broadcast and re-sent byte-for-byte
after a crash; who is still unpaid is always re-read from the chain, which itself refuses to pay
anyone twice for an epoch. One thread owns the minter key (one signer worker per key).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import ColumnElement, Table, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from credit.chain import mint as minting
from credit.chain import rawtx
from credit.errors import StoreError
from credit.gateway.errors import ApiError, NotFound
from credit.gateway.services import Services
from credit.store.lease import exclusive
from credit.store.retry import Background, Backoff, log_retry
from credit.store.reward_tables import reward_runs, reward_txs

log = logging.getLogger(__name__)
CHUNK = 100
# The minter key also relays appeals (credit/gateway/routes/appeals.py): both hold this lock while
# choosing a nonce, signing and broadcasting, so they never take the same nonce.
SIGNING_LOCK = threading.RLock()


@contextmanager
def minter_signing(engine: Engine) -> Iterator[None]:
    """The minter key's one signer at a time: :data:`SIGNING_LOCK` for this process's threads
    and, on PostgreSQL, an advisory lock for every process (N API processes relay appeals and
    verification ballots, ``credit index run`` pays rewards and settles)."""
    with SIGNING_LOCK, exclusive(engine, "signer:minter"):
        yield


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class RewardService(Background):
    """Accepts reward runs and executes them on one worker thread (the minter key's signer)."""

    thread_name, join_seconds = "reward-minter", 10.0

    def __init__(
        self, services: Services, account: LocalAccount, *, poll: float = 0.02, chunk: int = CHUNK
    ) -> None:
        super().__init__()
        self.services = services
        self.chunk = chunk
        self.account = account
        self.signer = str(account.address).lower()
        self.poll = poll
        self._queue: queue.Queue[int] = queue.Queue()

    # ------------------------------------------------------------------ requests
    def request(self, key: str, epoch: int) -> tuple[int, dict[str, Any]]:
        """(HTTP status, run) for a mint request: 202 new, 200 the stored run, 422 key misuse."""
        if not key or len(key) > 200:
            raise ApiError(
                400,
                "idempotency_key_required",
                "send an Idempotency-Key header (1-200 characters) with each mint request",
            )
        digest, now = body_hash({"epoch": epoch}), time.time()
        try:
            with self.services.engine.begin() as conn:
                run_id = conn.execute(
                    insert(reward_runs).values(
                        idempotency_key=key,
                        body_hash=digest,
                        epoch=epoch,
                        status="accepted",
                        total=0,
                        paid=0,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            existing = self._run_where(reward_runs.c.idempotency_key == key)
            assert existing is not None  # the insert failed on this key: its run exists
            if existing["body_hash"] != digest:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with another request body: use a new key",
                    {"run": existing["id"]},
                ) from None
            return 200, self._public(existing)
        self._queue.put(int(run_id))
        return 202, self.run(int(run_id))

    def run(self, run_id: int) -> dict[str, Any]:
        row = self._run_where(reward_runs.c.id == run_id)
        if row is None:
            raise NotFound(f"no reward run {run_id}")
        return self._public(row)

    # ------------------------------------------------------------------ worker
    def take(self, run_id: int) -> None:
        """Queue a run another process stored (an API process, for ``credit index run``)."""
        self._queue.put(run_id)

    def start(self) -> None:
        if self.running:
            return
        with self.services.engine.connect() as conn:
            unfinished = (
                conn.execute(
                    select(reward_runs.c.id)
                    .where(reward_runs.c.status.in_(("accepted", "running")))
                    .order_by(reward_runs.c.id)
                )
                .scalars()
                .all()
            )
        for run_id in unfinished:  # resume what a previous process left
            self._queue.put(int(run_id))
        super().start()

    def _run(self) -> None:
        backoff = Backoff(0.5, cap=10.0)
        while not self._stop.is_set():
            try:
                run_id = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._execute(run_id)
                backoff.reset()
            except _Stopped:
                return
            except StoreError as exc:  # locked or full: not the run's fault; it resumes as is
                self._pause(run_id, exc, backoff.failed())
            except Exception as exc:  # recorded on the run; the operator sees it and may retry
                log.exception("reward run %s failed", run_id)
                try:
                    self._set(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
                except StoreError as store_exc:  # cannot record it now: run it again later
                    self._pause(run_id, store_exc, backoff.failed())

    def _pause(self, run_id: int, exc: StoreError, delay: float) -> None:
        """Put ``run_id`` back in the queue after ``delay``: a run resumes idempotently (stored
        transactions are re-sent byte for byte, who is unpaid is re-read from the chain)."""
        log_retry(log, f"reward run {run_id}", exc, delay)
        self._stop.wait(delay)
        self._queue.put(run_id)

    def _execute(self, run_id: int) -> None:
        run = self.run(run_id)
        epoch = int(run["epoch"])
        self._set(run_id, status="running")
        for row in self._open_txs(run_id):  # stored or sent before a crash: the same bytes again
            self._send_and_settle(row["id"], bytes(row["raw_tx"]), row["tx_hash"])
        unpaid = [
            r for r, _ in minting.unpaid_earnings(self.services.system, self._earners(epoch), epoch)
        ]
        paid_before = self._count_minted(run_id)
        self._set(run_id, total=paid_before + len(unpaid), paid=paid_before)
        for i in range(0, len(unpaid), self.chunk):
            chunk = unpaid[i : i + self.chunk]
            with minter_signing(self.services.engine):
                tx_id, raw, tx_hash = self._store(run_id, epoch, chunk)
                self._broadcast(tx_id, raw)
            if not self._send_and_settle(tx_id, raw, tx_hash):
                return
            self._set(run_id, paid=self._count_minted(run_id))
        self._set(run_id, status="done")

    def _earners(self, epoch: int) -> list[str]:
        indexer = self.services.indexer
        if indexer is None:
            raise ApiError(503, "index_unavailable", "the indexer is not running")
        indexer.sync()
        return sorted({c.resident for c in indexer.facts().credits if c.epoch == epoch})

    def _store(self, run_id: int, epoch: int, residents: list[str]) -> tuple[int, bytes, str]:
        w3 = self.services.system.w3
        with self.services.engine.connect() as conn:
            top = conn.execute(
                select(func.max(reward_txs.c.nonce)).where(reward_txs.c.signer == self.signer)
            ).scalar()
        nonce = max(-1 if top is None else int(top) + 1, rawtx.pending_nonce(w3, self.signer))
        raw, tx_hash = minting.build_mint_tx(
            self.services.system, self.account, epoch, residents, nonce, rawtx.current_fees(w3)
        )
        now = time.time()
        with self.services.engine.begin() as conn:
            tx_id = conn.execute(
                insert(reward_txs).values(
                    run_id=run_id,
                    signer=self.signer,
                    nonce=nonce,
                    raw_tx=raw,
                    tx_hash=tx_hash,
                    residents=json.dumps(residents),
                    status="stored",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return int(tx_id), raw, tx_hash

    def _send_and_settle(self, tx_id: int, raw: bytes, tx_hash: str) -> bool:
        """Broadcast (again) and wait for the receipt; False if it reverted."""
        system = self.services.system
        while True:
            self._broadcast(tx_id, raw)
            receipt = self._wait(tx_hash)
            if receipt is not None:
                break
            if self._stop.is_set():
                raise _Stopped
        if receipt.status != 1:
            error = rawtx.revert_of(system, tx_hash, receipt.block)
            self._tx(tx_id, status="failed", minted=json.dumps({"error": str(error)}))
            run_id = self._run_of(tx_id)
            self._set(run_id, status="failed", error=str(error))
            return False
        self._tx(tx_id, status="mined", minted=json.dumps(minting.minted_events(system, receipt)))
        return True

    def _broadcast(self, tx_id: int, raw: bytes) -> None:
        try:
            rawtx.broadcast(self.services.system.w3, raw)
            self._tx(tx_id, status="sent")
        except rawtx.BroadcastError as exc:
            if exc.reason not in ("known", "nonce_low"):
                log.warning("mint broadcast failed, will retry: %s", exc)

    def _wait(self, tx_hash: str, seconds: float = 30.0) -> rawtx.Receipt | None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._stop.is_set():
            receipt = rawtx.receipt_of(self.services.system.w3, tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(self.poll)
        return None

    # ------------------------------------------------------------------ storage helpers
    def _open_txs(self, run_id: int) -> list[Any]:
        with self.services.engine.connect() as conn:
            q = (
                select(reward_txs)
                .where(reward_txs.c.run_id == run_id)
                .where(reward_txs.c.status.in_(("stored", "sent")))
                .order_by(reward_txs.c.nonce)
            )
            return list(conn.execute(q).mappings())

    def _count_minted(self, run_id: int) -> int:
        with self.services.engine.connect() as conn:
            rows = conn.execute(
                select(reward_txs.c.minted)
                .where(reward_txs.c.run_id == run_id)
                .where(reward_txs.c.status == "mined")
            ).scalars()
            return sum(len(json.loads(m or "[]")) for m in rows)

    def _run_of(self, tx_id: int) -> int:
        with self.services.engine.connect() as conn:
            return int(
                conn.execute(
                    select(reward_txs.c.run_id).where(reward_txs.c.id == tx_id)
                ).scalar_one()
            )

    def _run_where(self, condition: ColumnElement[bool]) -> dict[str, Any] | None:
        """The reward run matching ``condition`` (a unique column), or None."""
        with self.services.engine.connect() as conn:
            row = conn.execute(select(reward_runs).where(condition)).mappings().first()
        return None if row is None else dict(row)

    def _set(self, run_id: int, **values: Any) -> None:
        self._update(reward_runs, run_id, values)

    def _tx(self, tx_id: int, **values: Any) -> None:
        self._update(reward_txs, tx_id, values)

    def _update(self, table: Table, row_id: int, values: dict[str, Any]) -> None:
        """Set ``values`` on row ``row_id`` of ``table``, and its ``updated_at`` to now."""
        with self.services.engine.begin() as conn:
            conn.execute(
                update(table).where(table.c.id == row_id).values(updated_at=time.time(), **values)
            )

    def _public(self, row: dict[str, Any]) -> dict[str, Any]:
        with self.services.engine.connect() as conn:
            txs = conn.execute(
                select(reward_txs.c.tx_hash, reward_txs.c.status)
                .where(reward_txs.c.run_id == row["id"])
                .order_by(reward_txs.c.nonce)
            ).all()
        return {
            "id": row["id"],
            "epoch": row["epoch"],
            "status": row["status"],
            "progress": {"paid": row["paid"], "total": row["total"]},
            "error": row["error"],
            "transactions": [{"hash": h, "status": s} for h, s in txs],
        }


class _Stopped(Exception):
    """The service is stopping: leave the run for the next start."""
