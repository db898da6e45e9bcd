"""The circuit's inputs and the gate's calldata, from a secret, a tree and a gate (pure).

Public signals, in the circuit's order: root, threshold, scope, nullifier, recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit.zk.errors import ZkError
from credit.zk.identity import identity_commitment, nullifier_of
from credit.zk.tree import MAX_CREDIT, PoseidonTree

PUBLIC_SIGNALS = ("root", "threshold", "scope", "nullifier", "recipient")


@dataclass(frozen=True)
class Statement:
    """What a proof states publicly."""

    root: int
    threshold: int
    scope: int
    nullifier: int
    recipient: int  # an address as an integer

    @property
    def recipient_address(self) -> str:
        """The recipient as a 0x address (lower case)."""
        return f"0x{self.recipient:040x}"

    def signals(self) -> list[str]:
        """The public signals as snarkjs lists them (decimal strings)."""
        return [str(getattr(self, name)) for name in PUBLIC_SIGNALS]

    @classmethod
    def from_signals(cls, signals: list[str]) -> Statement:
        if len(signals) != len(PUBLIC_SIGNALS):
            raise ZkError(f"a proof has {len(PUBLIC_SIGNALS)} public signals, got {len(signals)}")
        return cls(*(int(s) for s in signals))


def circuit_input(
    secret: int, tree: PoseidonTree, *, threshold: int, scope: int, recipient: str
) -> tuple[dict[str, Any], Statement]:
    """The full input of the circuit for ``secret``'s leaf in ``tree``, and its public statement."""
    if not 0 <= threshold <= MAX_CREDIT:
        raise ZkError(f"threshold {threshold} is outside 0..2**64-1")
    commitment = identity_commitment(secret)
    index = tree.index_of(commitment)
    leaf = tree.leaves[index]
    if leaf.credit < threshold:
        raise ZkError(
            f"your credit in this epoch is {leaf.credit}, below the gate's {threshold}: "
            "no proof of it can exist"
        )
    path = tree.path(index)
    statement = Statement(
        tree.root, threshold, scope, nullifier_of(secret, scope), int(recipient, 16)
    )
    data = {
        "root": str(statement.root),
        "threshold": str(threshold),
        "scope": str(scope),
        "nullifier": str(statement.nullifier),
        "recipient": str(statement.recipient),
        "secret": str(secret),
        "credit": str(leaf.credit),
        "pathElements": [str(x) for x in path.elements],
        "pathIndices": [str(x) for x in path.indices],
    }
    return data, statement


def gate_proof_args(proof: dict[str, Any]) -> tuple[list[int], list[list[int]], list[int]]:
    """snarkjs's proof JSON as CreditGate's ``Proof`` (a, b, c).

    b's coordinates are swapped, as the EVM's pairing precompile reads G2 points (snarkjs's
    ``exportsoliditycalldata`` does the same).
    """
    a = [int(x) for x in proof["pi_a"][:2]]
    b = [[int(proof["pi_b"][i][1]), int(proof["pi_b"][i][0])] for i in range(2)]
    c = [int(x) for x in proof["pi_c"][:2]]
    return a, b, c
