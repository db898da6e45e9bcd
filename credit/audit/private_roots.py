"""Private proofs: every finalised Poseidon credit root is the one the chain's events give.

Residents agree each epoch's Poseidon credit root (leaves ``Poseidon(identity commitment,
credit)``, :mod:`credit.zk.tree`) by commit-reveal on a second EpochVerifier instance; a
``CreditGate`` accepts proofs against any root that instance finalised. A quorum that colluded
(or shared a bug) could finalise a root with leaves nobody holds, and then prove credit nobody
has. So the auditor recomputes each finalised root from the chain alone, with its own replay of
the books (:mod:`credit.audit.balances`, not the verifiers' code):

- the epoch's events are those of blocks with a time before the end of the epoch, exactly the
  blocks the verifiers replay; each resident registered then has their balance at that point,
  read as zero if it lapsed under the expiry in force at the epoch's last second (``creditOf``);
- the leaves are the residents who registered an identity commitment in those same blocks
  (``IdentityRegistered``), credit floored at 0 and capped at 2^64-1 (``credit_leaves``).

A differing root is a ``poseidon.root_mismatch`` naming the ``EpochFinalized`` event.
"""

from __future__ import annotations

from dataclasses import dataclass

from credit.audit.balances import _lapsed, _Replay
from credit.audit.model import ChainData, Findings
from credit.audit.rules import RuleHistory
from credit.fold import Schedule
from credit.zk.errors import TreeError
from credit.zk.tree import build_tree, credit_leaves


@dataclass(frozen=True)
class PoseidonEpoch:
    """One finalised epoch's Poseidon root, as finalised and as recomputed."""

    epoch: int
    finalised: str  # 0x hex
    recomputed: str | None  # None when the leaves make no tree (named in the finding)
    leaves: int
    revealers: int

    @property
    def agrees(self) -> bool:
        return self.finalised == self.recomputed

    def to_dict(self) -> dict[str, object]:
        return {
            "epoch": self.epoch,
            "finalised_root": self.finalised,
            "recomputed_root": self.recomputed,
            "leaves": self.leaves,
            "revealers": self.revealers,
            "agrees": self.agrees,
        }


def check_poseidon_roots(
    data: ChainData, history: RuleHistory, found: Findings
) -> list[PoseidonEpoch]:
    """Recompute every finalised Poseidon root and name each one that differs."""
    private = data.private_proofs
    if private is None:
        return []
    d = data.deployment
    replay = _Replay(history, Schedule(d.epoch_length, d.genesis), Findings())  # findings: ours
    events, done, rows = data.events, 0, []
    for final in sorted(private.finalised, key=lambda f: f.epoch):
        end = d.genesis + (final.epoch + 1) * d.epoch_length
        upto = done
        while upto < len(events) and events[upto].block_time < end:
            upto += 1
        replay.run(events[done:upto])  # the replay keeps its books: each event is read once
        done = upto
        expiry = history.expiry_at(end - 1)
        credits = {
            a: 0 if _lapsed(b, expiry, final.epoch) else b.balance
            for a, b in replay.books.residents.items()
            if b.registered
        }
        commitments: dict[str, int] = {}
        for r in private.registrations:
            if r.at.block_time < end:
                commitments.setdefault(r.resident, r.commitment)
        leaves = credit_leaves(credits, commitments)
        try:
            recomputed: str | None = "0x" + build_tree(leaves).root_bytes.hex()
        except TreeError as exc:
            recomputed = None
            reason = f"its leaves make no tree ({exc})"
        else:
            reason = f"the chain's events give {recomputed}"
        row = PoseidonEpoch(final.epoch, final.root, recomputed, len(leaves), final.revealers)
        rows.append(row)
        if not row.agrees:
            found.add(
                "poseidon.root_mismatch",
                f"{final.revealers} residents finalised {final.root} as the Poseidon credit root "
                f"of epoch {final.epoch}, but {reason} over {len(leaves)} registered identities: "
                "gates accept proofs of credit nobody holds against it",
                (final.at,),
                epoch=final.epoch,
                contract=private.roots,
                expected=recomputed,
                found=final.root,
            )
    return rows
