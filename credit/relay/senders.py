"""The sender pool: the relay signs with K relayer keys, one signer worker per key.

Why: a node limits the transactions one sender may have pending (Besu:
``--tx-pool-limit-by-account-percentage``; geth: ``--txpool.accountslots``), and a key's
transactions are mined in nonce order, so one key serialises the whole city behind one nonce
sequence and one stuck transaction. K keys give K sequences: a batch goes to the key with the
fewest transactions in flight, and a key with ``relayer_max_pending`` in flight takes no more
until the node mines some.

Design decisions:
- One :class:`~credit.relay.outbox.SignerWorker` per key, each the only user of its key's nonces
  (the outbox's highest + 1, per ``signer`` column) and its own signer object: web3's signing
  middleware reads the nonce and signs without a lock, so a key is never shared between threads.
- The batcher plans one batch at a time and hands it to one worker; a claim is in one batch only
  (it is ``queued`` when the batch is stored), whatever key carries it.
- A resident's claims may ride on different keys and be mined out of their nonce order; the
  ledger then skips the later one and the relay plans it again (:mod:`credit.relay.settle`).
- A key's stuck transaction is replaced by that key's worker (:mod:`credit.relay.stuck`); the
  other keys go on meanwhile.
- On chain a relayer key needs no role (``relayClaims`` is open: the signatures carry the
  authority); it needs gas, and it must hold no governing role (refused at gateway start).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_account import Account
from eth_account.signers.local import LocalAccount

from credit.relay.core import RelayCore
from credit.relay.outbox import Hooks, Job, SignerWorker
from credit.relay.plan import Batch
from credit.settings import Settings


def pool_accounts(first: LocalAccount, settings: Settings) -> list[LocalAccount]:
    """The pool's K accounts: ``first`` (the relayer key, already opened) and keys 1..K-1."""
    return [first, *(Account.from_key(k) for k in settings.relayer_pool_private_keys())]


def pool_addresses(settings: Settings) -> list[str]:
    """The addresses of the pool's K keys (for funding and role checks)."""
    first = Account.from_key(settings.relayer_private_key())
    return [str(a.address) for a in pool_accounts(first, settings)]


class SenderPool:
    """K signer workers behind the one interface the batcher uses (start, stop, submit, alive)."""

    def __init__(
        self,
        core: RelayCore,
        accounts: Sequence[LocalAccount],
        hooks: Hooks | None = None,
        *,
        max_pending: int = 16,
        stuck_seconds: float = 30.0,
    ) -> None:
        if not accounts:
            raise ValueError("a sender pool needs at least one relayer key")
        addresses = [str(a.address).lower() for a in accounts]
        if len(set(addresses)) != len(addresses):
            raise ValueError("the sender pool names one relayer key twice: give K distinct keys")
        self.workers = [
            SignerWorker(core, a, hooks, max_pending=max_pending, stuck_seconds=stuck_seconds)
            for a in accounts
        ]
        self._turn = 0

    @classmethod
    def from_settings(
        cls, core: RelayCore, first: LocalAccount, settings: Settings, hooks: Hooks | None = None
    ) -> SenderPool:
        """The pool of ``settings.relayer_pool_size`` keys, ``first`` being the relayer key."""
        return cls(
            core,
            pool_accounts(first, settings),
            hooks,
            max_pending=settings.relayer_max_pending,
            stuck_seconds=settings.relayer_stuck_seconds,
        )

    @property
    def alive(self) -> bool:
        """Whether every worker runs."""
        return all(w.alive for w in self.workers)

    @property
    def signers(self) -> list[str]:
        """The pool's addresses (lower-case), in key order."""
        return [w.signer for w in self.workers]

    @property
    def resend_after(self) -> float:
        return self.workers[0].resend_after

    @resend_after.setter
    def resend_after(self, seconds: float) -> None:
        for w in self.workers:
            w.resend_after = seconds

    def start(self) -> None:
        """Start every worker (idempotent); each first re-sends what its key left unmined."""
        for w in self.workers:
            w.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker (idempotent); stored rows stay in the outbox."""
        for w in self.workers:
            w.stop(timeout)

    def submit(self, batch: Batch) -> Job:
        """Hand ``batch`` to the key with the fewest transactions in flight (ties in turn)."""
        return self.pick().submit(batch)

    def pick(self) -> SignerWorker:
        """The worker the next batch goes to."""
        k = len(self.workers)
        order = [self.workers[(self._turn + i) % k] for i in range(k)]
        worker = min(order, key=_load)
        self._turn = (self.workers.index(worker) + 1) % k
        return worker


def _load(worker: SignerWorker) -> int:
    return worker.in_flight + worker._jobs.qsize()
