"""The Poseidon credit root of an epoch, as a verifier computes it before committing to it.

The same replay as the keccak root (:mod:`credit.verify.replay`): the epoch's state from exactly
the blocks before its end; plus the identity commitments registered by then (read by the chain
layer up to the replay's last block). Leaves and tree: :mod:`credit.zk.tree`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from credit.verify.state import EpochState
from credit.zk.tree import PoseidonTree, build_tree, credit_leaves


def poseidon_tree(state: EpochState, commitments: Mapping[str, int]) -> PoseidonTree:
    """The Poseidon tree of ``state`` over the residents with a commitment (lower-case keys)."""
    credits = {r.resident: r.credit for r in state.residents}
    return build_tree(credit_leaves(credits, commitments))


def poseidon_root(state: EpochState, commitments: Mapping[str, int]) -> bytes:
    """The 32-byte Poseidon credit root residents commit to for ``state``'s epoch."""
    return poseidon_tree(state, commitments).root_bytes
