"""A relayer key's stuck transaction: found, replaced with higher fees, and settled either way.

A key's transactions are mined in nonce order, so when its lowest unmined one stays out of the
blocks the chain keeps making (dropped from a node's pool, or priced under the base fee), every
later one of that key waits too, while the pool's other keys go on. Once it has waited
``stuck_seconds`` and then ``stuck_blocks`` more blocks are mined without it (a halted chain is
not a price problem), the row's transaction is signed again with the same nonce and call
and higher fees (:func:`credit.chain.replace.bumped`), STORED in the row (the hash it replaces
kept in ``relay_outbox_replaced``), and only then broadcast, as every outbox transaction is.

Nothing is sent twice: the two transactions share the nonce, so the chain mines at most one.
The signer settles the row by whichever it finds mined (:func:`earlier_receipt`), so a batch
whose first transaction is mined after all is credited, not requeued.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import insert, select, update

from credit.chain import rawtx, replace
from credit.relay import transaction
from credit.store.relay_tables import relay_claims, relay_outbox, relay_outbox_replaced

log = logging.getLogger(__name__)

STUCK_BLOCKS = 2  # blocks mined without the row's transaction before it counts as stuck


def earlier_receipt(w3: Any, engine: Any, oid: int) -> rawtx.Receipt | None:
    """The receipt of a transaction that outbox row ``oid`` sent and replaced, if one was mined."""
    with engine.connect() as conn:
        hashes = list(
            conn.execute(
                select(relay_outbox_replaced.c.tx_hash).where(
                    relay_outbox_replaced.c.outbox_id == oid
                )
            ).scalars()
        )
    for tx_hash in hashes:
        receipt = rawtx.lean_receipt_of(w3, tx_hash)
        if receipt is not None:
            return receipt
    return None


class StuckWatch:
    """Watches one key's lowest unmined row and replaces its transaction once it is stuck."""

    def __init__(self, stuck_seconds: float, stuck_blocks: int = STUCK_BLOCKS) -> None:
        self.stuck_seconds = stuck_seconds
        self.stuck_blocks = stuck_blocks
        # oid -> (when first seen waiting, the block once it is late: blocks are counted from it)
        self._since: dict[int, tuple[float, int | None]] = {}
        self.replaced = 0  # replacements made by this watch (for logs and tests)

    def check(self, worker: Any, rows: list[Any], mined_count: int | None) -> None:
        """Look at ``rows`` (the key's open rows by nonce); replace the lowest if it is stuck.
        ``mined_count``: the key's mined nonce count if the caller read it this poll."""
        head = next((r for r in rows if r.status == "sent"), None)
        if head is None or head.id != rows[0].id:
            self._since.clear()
            return
        for oid in [o for o in self._since if o != head.id]:
            del self._since[oid]
        w3 = worker.core.system.w3
        seen = self._since.get(head.id)
        if seen is None:  # no chain read for a row that is mined in time, as most are
            self._since[head.id] = (time.monotonic(), None)
            return
        if time.monotonic() - seen[0] < self.stuck_seconds:
            return
        if seen[1] is None:  # late: count the blocks mined without it from now on
            self._since[head.id] = (seen[0], int(w3.eth.block_number))
            return
        if int(w3.eth.block_number) < seen[1] + self.stuck_blocks:
            return  # the chain is not making blocks: a higher fee would not help
        if mined_count is None:
            mined_count = rawtx.mined_nonce(w3, worker.signer)
        if mined_count != head.nonce:
            return  # mined, or an earlier nonce is missing: the poll settles it
        self.replace(worker, head.id)
        self._since[head.id] = (time.monotonic(), None)

    def replace(self, worker: Any, oid: int) -> None:
        """Sign row ``oid``'s transaction again with higher fees, store it, then broadcast it."""
        core = worker.core
        with core.engine.connect() as conn:
            row = conn.execute(
                select(relay_outbox.c.raw_tx, relay_outbox.c.tx_hash, relay_outbox.c.status).where(
                    relay_outbox.c.id == oid
                )
            ).one()
        if row.status not in ("stored", "sent"):
            return
        account: LocalAccount = worker.account
        new = replace.bumped(bytes(row.raw_tx), account, replace.next_block_fees(core.system.w3))
        _, old_fee, _ = replace.fees_of(bytes(row.raw_tx))
        now = time.time()
        with transaction.write(core) as conn:
            moved = conn.execute(
                update(relay_outbox)
                .where(relay_outbox.c.id == oid, relay_outbox.c.tx_hash == row.tx_hash)
                .values(raw_tx=new.raw, tx_hash=new.tx_hash, updated_at=now)
            ).rowcount
            if moved != 1:
                return  # settled or replaced meanwhile
            conn.execute(
                insert(relay_outbox_replaced).values(
                    tx_hash=row.tx_hash, outbox_id=oid, max_fee=old_fee, created_at=now
                )
            )
            conn.execute(
                update(relay_claims)
                .where(
                    relay_claims.c.outbox_id == oid,
                    relay_claims.c.status.in_(("queued", "sent")),
                )
                .values(tx_hash=new.tx_hash, updated_at=now)
            )
        self.replaced += 1
        log.warning(
            "relay signer %s: nonce %d was not mined in %.0f s; replaced %s by %s (max fee %d -> "
            "%d wei)",
            worker.signer,
            new.nonce,
            self.stuck_seconds,
            row.tx_hash,
            new.tx_hash,
            old_fee,
            new.max_fee,
        )
        worker._broadcast(oid, new.raw)
