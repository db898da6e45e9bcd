"""The Poseidon credit tree of an epoch: what the circuit proves membership in.

Leaf of a resident with identity commitment ``c`` (``Poseidon(secret)``, registered on the
IdentityRegistry) and credit ``x`` at the end of the epoch: ``Poseidon(c, x)``. The tree is binary,
of fixed depth :data:`DEPTH` (2**20 leaves); leaves sit left to right by ascending commitment; an
empty leaf is 0 and an empty subtree of height ``h`` hashes to ``ZEROS[h]``
(``ZEROS[h + 1] = Poseidon(ZEROS[h], ZEROS[h])``). Inner node: ``Poseidon(left, right)``.

Only residents who registered a commitment are in the tree; credit is read as in the keccak state
tree (``credit.verify.state``), floored at 0. Pure functions; the root is an integer below
:data:`~credit.zk.poseidon.FIELD` (as bytes: 32 bytes big-endian, what residents commit to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from credit.zk.errors import TreeError
from credit.zk.poseidon import FIELD, poseidon

DEPTH = 20
#: Largest credit the circuit accepts (it range-checks credit to 64 bits).
MAX_CREDIT = 2**64 - 1


def _zeros() -> tuple[int, ...]:
    zeros = [0]
    for _ in range(DEPTH):
        zeros.append(poseidon(zeros[-1], zeros[-1]))
    return tuple(zeros)


ZEROS = _zeros()


@dataclass(frozen=True)
class CreditLeaf:
    """One resident's leaf: identity commitment and credit at the end of the epoch."""

    commitment: int
    credit: int

    @property
    def hash(self) -> int:
        return poseidon(self.commitment, self.credit)


@dataclass(frozen=True)
class MerklePath:
    """The siblings of a leaf from the bottom up, and whether each level's node is a right child."""

    index: int
    elements: tuple[int, ...]
    indices: tuple[int, ...]


@dataclass(frozen=True)
class PoseidonTree:
    """A built tree: its leaves in order and every non-empty level."""

    leaves: tuple[CreditLeaf, ...]
    levels: tuple[tuple[int, ...], ...]  # levels[0] = leaf hashes; levels[DEPTH] = (root,)

    @property
    def root(self) -> int:
        return self.levels[DEPTH][0] if self.levels[DEPTH] else ZEROS[DEPTH]

    @property
    def root_bytes(self) -> bytes:
        return self.root.to_bytes(32, "big")

    def index_of(self, commitment: int) -> int:
        for i, leaf in enumerate(self.leaves):
            if leaf.commitment == commitment:
                return i
        raise TreeError("that identity commitment is not in this epoch's tree: was it registered?")

    def path(self, index: int) -> MerklePath:
        """The Merkle path of leaf ``index``."""
        if not 0 <= index < len(self.leaves):
            raise TreeError(f"no leaf {index} in a tree of {len(self.leaves)}")
        elements, indices = [], []
        at = index
        for height in range(DEPTH):
            level = self.levels[height]
            sibling = at ^ 1
            elements.append(level[sibling] if sibling < len(level) else ZEROS[height])
            indices.append(at & 1)
            at >>= 1
        return MerklePath(index, tuple(elements), tuple(indices))


def build_tree(leaves: Iterable[CreditLeaf]) -> PoseidonTree:
    """The tree of ``leaves`` (any order: they are laid out by ascending commitment)."""
    ordered = tuple(sorted(leaves, key=lambda leaf: leaf.commitment))
    seen: set[int] = set()
    for leaf in ordered:
        if not 0 < leaf.commitment < FIELD:
            raise TreeError(f"commitment {leaf.commitment} is not a non-zero field element")
        if leaf.commitment in seen:
            raise TreeError(f"commitment {leaf.commitment} appears twice")
        if not 0 <= leaf.credit <= MAX_CREDIT:
            raise TreeError(f"credit {leaf.credit} is outside 0..2**64-1")
        seen.add(leaf.commitment)
    if len(ordered) > 2**DEPTH:
        raise TreeError(f"{len(ordered)} leaves do not fit a tree of depth {DEPTH}")
    level = tuple(leaf.hash for leaf in ordered)
    levels = [level]
    for height in range(DEPTH):
        padded = level + ((ZEROS[height],) if len(level) % 2 else ())
        level = tuple(poseidon(padded[i], padded[i + 1]) for i in range(0, len(padded), 2))
        levels.append(level)
    return PoseidonTree(ordered, tuple(levels))


def credit_leaves(credits: Mapping[str, int], commitments: Mapping[str, int]) -> list[CreditLeaf]:
    """Leaves of the residents (lower-case addresses) in ``credits`` who registered a commitment.

    A negative balance is read as 0 and one above 2**64-1 is capped there: the tree states "at
    least", so capping never lets anyone prove more than they hold.
    """
    out = []
    for resident, credit in credits.items():
        commitment = commitments.get(resident.lower())
        if commitment is not None:
            out.append(CreditLeaf(commitment, min(max(credit, 0), MAX_CREDIT)))
    return out
