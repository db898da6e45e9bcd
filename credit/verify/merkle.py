"""The epoch state tree: OpenZeppelin StandardMerkleTree-compatible, in pure Python.

Leaf of a resident: ``keccak256(keccak256(abi.encode(address resident, uint256 credit,
uint256 earned))))``; inner nodes hash their two children sorted; leaves are sorted by hash and laid
out as in ``@openzeppelin/merkle-tree`` (``StandardMerkleTree.of(values, ["address", "uint256",
"uint256"])``), so that library and this module build the same root and proofs, and
``contracts/libraries/CreditProof.sol`` (OpenZeppelin ``MerkleProof``) verifies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eth_hash.auto import keccak

from credit.verify.errors import VerifyError
from credit.verify.state import EpochState

_ZERO12 = bytes(12)


def leaf_hash(resident: str, credit: int, earned: int) -> bytes:
    """The leaf of ``resident`` (``0x`` address) with ``credit`` and ``earned`` (uint256 each)."""
    address = bytes.fromhex(resident.removeprefix("0x"))
    if len(address) != 20:
        raise VerifyError(f"{resident!r} is not a 20-byte address")
    encoded = _ZERO12 + address + credit.to_bytes(32, "big") + earned.to_bytes(32, "big")
    return keccak(keccak(encoded))


def encoded_leaf_hash(abi_encoded: bytes) -> bytes:
    """A standard leaf of any ABI-encoded value: ``keccak256(keccak256(abi_encoded))``."""
    return keccak(keccak(abi_encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: the hash of its children, smaller first (OpenZeppelin's commutative hash)."""
    return keccak(a + b) if a <= b else keccak(b + a)


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf``."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


@dataclass(frozen=True)
class MerkleTree:
    """A tree in OpenZeppelin's array layout: root at 0, children of i at 2i+1 and 2i+2."""

    nodes: tuple[bytes, ...]
    positions: dict[bytes, int] = field(repr=False)  # leaf hash -> node index

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """The sibling hashes from ``leaf`` up to the root."""
        index = self.positions.get(leaf)
        if index is None:
            raise VerifyError("that leaf is not in the tree: check the resident, credit and earned")
        proof = []
        while index > 0:
            proof.append(self.nodes[index - 1 if index % 2 == 0 else index + 1])
            index = (index - 1) // 2
        return proof

    def proof_of(self, resident: str, credit: int, earned: int) -> list[bytes]:
        """The proof of a resident's leaf."""
        return self.proof(leaf_hash(resident, credit, earned))


def build_tree(leaves: Iterable[bytes]) -> MerkleTree:
    """The tree of ``leaves`` (in any order: they are sorted as StandardMerkleTree sorts them)."""
    ordered = sorted(leaves)
    n = len(ordered)
    if n == 0:
        raise VerifyError("a Merkle tree needs at least one leaf: no resident is registered")
    nodes: list[bytes] = [b""] * (2 * n - 1)
    positions: dict[bytes, int] = {}
    for i, leaf in enumerate(ordered):
        nodes[len(nodes) - 1 - i] = leaf
        positions[leaf] = len(nodes) - 1 - i
    for i in range(len(nodes) - 1 - n, -1, -1):
        nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
    return MerkleTree(tuple(nodes), positions)


def state_tree(state: EpochState) -> MerkleTree:
    """The tree of an epoch's state: one leaf per registered resident."""
    return build_tree(leaf_hash(r.resident, r.credit, r.earned) for r in state.residents)


def state_root(state: EpochState) -> bytes:
    """The root residents commit to and reveal for ``state.epoch``."""
    return state_tree(state).root


def verify_credit(
    root: bytes, resident: str, credit: int, earned: int, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows ``resident`` had ``credit`` and earned ``earned`` under ``root``."""
    return process_proof(leaf_hash(resident, credit, earned), proof) == root


def proves_at_least(
    root: bytes,
    resident: str,
    threshold: int,
    credit: int,
    earned: int,
    proof: Sequence[bytes],
) -> bool:
    """Whether the disclosed leaf shows a credit of at least ``threshold`` under ``root``."""
    return credit >= threshold and verify_credit(root, resident, credit, earned, proof)
