"""Typed reads of one verified epoch: its phase, windows, roots and every resident's ballot.

Ballots come from the verifier's events (``Committed``, ``Revealed``, ``EpochFinalized`` and
``RootDisagreement``, filtered by their indexed epoch), and whether a winner was paid from the
ledger's ``RecordCredited`` events under the verifier's record ids for the epoch: nothing is read
that a replay of the public logs could not read too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from eth_abi import encode as abi_encode
from eth_utils import keccak

from credit.chain.verifier import Outcome, Tally, VerifierClient, Windows

Phase = Literal["open", "committing", "revealing", "finalising", "finalised", "no_consensus"]


@dataclass(frozen=True)
class BallotView:
    """One resident's part in an epoch (addresses checksummed, roots 32 bytes)."""

    address: str
    committed: bool
    revealed: bool
    root: bytes | None  # the revealed root
    agreed: bool | None  # None until a root is final, or for one who did not reveal
    credited: bool  # a winner settled and paid one unit of the verification category


@dataclass(frozen=True)
class EpochStatus:
    """An epoch of the verifier as the chain shows it at ``now`` (the latest block's time)."""

    epoch: int
    now: int
    phase: Phase
    windows: Windows
    tally: Tally
    quorum: int
    roots: tuple[tuple[bytes, int], ...]  # revealed roots with their counts, most revealed first
    ballots: tuple[BallotView, ...]

    @property
    def final_root(self) -> bytes | None:
        return self.tally.root if self.tally.outcome is Outcome.FINALIZED else None


def phase_of(windows: Windows, outcome: Outcome, now: int) -> Phase:
    """Where an epoch stands: still running, in a window, waiting to be finalised, or closed."""
    if outcome is Outcome.FINALIZED:
        return "finalised"
    if outcome is Outcome.NO_CONSENSUS:
        return "no_consensus"
    if now < windows.commit_opens:
        return "open"
    if now < windows.reveal_opens:
        return "committing"
    if now < windows.reveal_closes:
        return "revealing"
    return "finalising"


def record_id_of(ref: bytes, resident: str) -> bytes:
    """The ledger's record id of ``resident``'s verification credit under ``ref``."""
    return keccak(abi_encode(["bytes32", "address"], [ref, resident]))


def epoch_status(client: VerifierClient, ledger_events: object, epoch: int) -> EpochStatus:
    """Everything public about ``epoch``: ``ledger_events`` is the ledger contract's ``events``."""
    now = client.now()
    windows = client.windows(epoch)
    tally = client.tally(epoch)
    commitments = client.commitments(epoch)
    reveals = client.reveals(epoch)
    final = tally.root if tally.outcome is Outcome.FINALIZED else None
    paid = _paid(client, ledger_events, epoch, final, reveals) if final is not None else set()
    ballots = []
    for address in sorted(set(commitments) | set(reveals), key=lambda a: int(a, 16)):
        root = reveals.get(address)
        agreed = None if final is None or root is None else root == final
        ballots.append(
            BallotView(
                str(client.w3.to_checksum_address(address)),
                True,
                root is not None,
                root,
                agreed,
                address in paid,
            )
        )
    counts = Counter(reveals.values())
    roots = tuple(sorted(counts.items(), key=lambda rc: (-rc[1], rc[0])))
    return EpochStatus(
        epoch,
        now,
        phase_of(windows, tally.outcome, now),
        windows,
        tally,
        client.quorum(),
        roots,
        tuple(ballots),
    )


def _paid(
    client: VerifierClient,
    ledger_events: object,
    epoch: int,
    root: bytes,
    reveals: dict[str, bytes],
) -> set[str]:
    """Winners (lower-case) the ledger credited for ``epoch``: a ``RecordCredited`` under the
    verifier's record id of each (a settled winner who had left the ledger has none)."""
    winners = [a for a, r in reveals.items() if r == root]
    if not winners:
        return set()
    ref = bytes(client.contract.functions.recordRef(epoch, root).call())
    by_id = {record_id_of(ref, a): a for a in winners}
    logs = ledger_events.RecordCredited.get_logs(  # type: ignore[attr-defined]
        from_block=client.from_block, argument_filters={"recordId": list(by_id)}
    )
    return {
        by_id[bytes(e["args"]["recordId"])] for e in logs if bytes(e["args"]["recordId"]) in by_id
    }
