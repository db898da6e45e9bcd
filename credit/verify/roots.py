"""The roots a verifier worker commits to for an epoch, from one replay of it.

The keccak state root (:mod:`credit.verify.merkle`) and, where the city runs private proofs, the
Poseidon credit root (:mod:`credit.verify.poseidon_root`) come from the same replayed state, so
an epoch is read from the chain once however many roots are committed. The identity commitments
are read through ``commitments_at(block)`` (the chain layer's
:func:`credit.chain.zk.identity_commitments`), up to the replay's last block: the blocks every
verifier replays alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from credit.chain.events import EventSource
from credit.verify.errors import VerifyError
from credit.verify.poseidon_root import poseidon_root
from credit.verify.replay import Replay, replay_epoch

CommitmentsAt = Callable[[int], Mapping[str, int]]


class EpochRoots:
    """Replays each epoch once (the last one asked is kept) and derives its roots."""

    def __init__(
        self,
        source: EventSource,
        confirmation_depth: int = 0,
        commitments_at: CommitmentsAt | None = None,
    ) -> None:
        self.source = source
        self.confirmation_depth = confirmation_depth
        self.commitments_at = commitments_at
        self._last: Replay | None = None

    def replay(self, epoch: int) -> Replay:
        if self._last is None or self._last.state.epoch != epoch:
            self._last = replay_epoch(
                self.source, epoch, confirmation_depth=self.confirmation_depth
            )
        return self._last

    def keccak_root(self, epoch: int) -> bytes:
        """The state root of ``epoch`` (``EpochVerifier``)."""
        return self.replay(epoch).root

    def poseidon_root(self, epoch: int) -> bytes:
        """The Poseidon credit root of ``epoch`` (the private proofs' ``EpochVerifier``)."""
        if self.commitments_at is None:
            raise VerifyError("this deployment lists no IdentityRegistry: no Poseidon root")
        replay = self.replay(epoch)
        return poseidon_root(replay.state, self.commitments_at(replay.facts.as_of_block))
