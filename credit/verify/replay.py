"""Replaying an epoch from the chain's events: the facts and rule versions its state needs.

Every verifier must see the same blocks: exactly those with a timestamp before the end of the
epoch, which are settled once the chain's head is past that time (by ``confirmation_depth``
blocks). Reads go through :class:`credit.chain.events.EventSource` (the ledger's and rule book's
logs only); the folding is :func:`credit.fold.fold_facts`, the indexer's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from credit.chain.events import BlockHeader, EventSource
from credit.facts import LedgerFacts
from credit.fold import RuleVersion, Schedule, StoredEvent, fold_facts
from credit.verify.errors import VerifyError
from credit.verify.merkle import state_root
from credit.verify.state import EpochState, epoch_state


@dataclass(frozen=True)
class Replay:
    """An epoch replayed: the facts up to its last block, the rule versions, and its state."""

    facts: LedgerFacts
    versions: tuple[RuleVersion, ...]
    state: EpochState

    @property
    def root(self) -> bytes:
        return state_root(self.state)


def last_block_before(
    source: EventSource, timestamp: int, low: int, high: int
) -> BlockHeader | None:
    """The newest block in ``low..high`` with a time before ``timestamp`` (binary search)."""
    found: BlockHeader | None = None
    while low <= high:
        mid = (low + high) // 2
        header = source.header(mid)
        if header is None:
            raise VerifyError(f"block {mid} vanished during the replay (a reorg?): run it again")
        if header.timestamp < timestamp:
            found, low = header, mid + 1
        else:
            high = mid - 1
    return found


def replay_epoch(
    source: EventSource, epoch: int, *, confirmation_depth: int = 0, page_size: int = 5000
) -> Replay:
    """Replay ``epoch`` from the chain; refuses an epoch that is not over (and settled) yet."""
    length, genesis = source.epoch_schedule()
    end = genesis + (epoch + 1) * length
    safe = source.head() - confirmation_depth
    head = source.header(safe) if safe >= 0 else None
    if head is None or head.timestamp < end:
        raise VerifyError(
            f"epoch {epoch} ends at {end} but the chain (at depth {confirmation_depth}) has not "
            "passed it yet: wait for the next epoch to start"
        )
    start = source.start_block
    cutoff = last_block_before(source, end, start, head.number)
    schedule = Schedule(length, genesis)
    if cutoff is None:  # the epoch ended before the deployment
        facts = fold_facts([], as_of_block=start - 1, as_of_time=genesis, schedule=schedule)
        return Replay(facts, (), epoch_state(facts, epoch))
    stored: list[StoredEvent] = []
    times: dict[int, int] = {cutoff.number: cutoff.timestamp}
    for first in range(start, cutoff.number + 1, page_size):
        for e in source.logs(first, min(first + page_size - 1, cutoff.number)):
            if e.block_number not in times:
                header = source.header(e.block_number)
                if header is None:
                    raise VerifyError(f"block {e.block_number} vanished (a reorg?): run it again")
                times[e.block_number] = header.timestamp
            stored.append(
                StoredEvent(
                    e.name, e.args, e.block_number, e.log_index, e.tx_hash, times[e.block_number]
                )
            )
    facts = fold_facts(
        stored, as_of_block=cutoff.number, as_of_time=cutoff.timestamp, schedule=schedule
    )
    versions = tuple(
        RuleVersion(
            int(e.args["ruleVersion"]),
            str(e.args["contentHash"]),
            int(e.args["effectiveAt"]),
            int(source.rule_set_terms(int(e.args["ruleVersion"]))["expiryEpochs"]),
        )
        for e in stored
        if e.name == "RuleSetPublished"
    )
    return Replay(facts, versions, epoch_state(facts, epoch, versions))
