"""Private proofs on chain: identity registry, the Poseidon-root consensus, verifier and gates.

Deployment of one "private proofs" set for a system (:func:`deploy_private_proofs`):

- ``IdentityRegistry``: residents' identity commitments (``registerBySig``: relayed, no gas);
- a second ``EpochVerifier`` on the same ledger, with the same quorum and windows, on which the
  same residents commit-reveal each epoch's **Poseidon** credit root. It is the unchanged,
  audited contract: agreement on the Poseidon root is the very consensus that agrees the keccak
  root, held by a separate instance so that neither contract nor the keccak root's consumers
  change. It holds no ledger role, so it credits nobody (verification is paid once, by the first);
- ``CreditAtLeastVerifier``: snarkjs's exported Groth16 verifier of the circuit.

A service then deploys a ``CreditGate`` (:func:`deploy_gate`) with its threshold and label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain.deploy import System
from credit.chain.tx import Transactor
from credit.chain.verifier import COMMIT_TYPES

REGISTRY = "IdentityRegistry"
ROOTS = "EpochVerifier"
VERIFIER = "CreditAtLeastVerifier"
GATE = "CreditGate"
#: A gate call spends ~270k gas; estimates of a Groth16 check run low (the verifier returns false
#: when short of gas), so gate transactions carry this fixed limit.
GATE_GAS = 400_000

REGISTER_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": COMMIT_TYPES["EIP712Domain"],  # name, version, chainId, verifyingContract
    "RegisterIdentity": [
        {"name": "resident", "type": "address"},
        {"name": "commitment", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}


@dataclass(frozen=True)
class PrivateProofs:
    """The deployed contracts of private proofs."""

    registry: Contract
    roots: Contract  # the EpochVerifier instance of Poseidon roots
    verifier: Contract

    def addresses(self) -> dict[str, str]:
        return {
            "identity_registry": self.registry.address,
            "poseidon_roots": self.roots.address,
            "verifier": self.verifier.address,
        }


def _deploy(
    deployer: Transactor, w3: Web3, artifacts: dict[str, Artifact], name: str, *args: Any
) -> Contract:
    art = artifacts[name]
    receipt = deployer.deploy(art.abi, art.bytecode, *args)
    address = Web3.to_checksum_address(str(receipt["contractAddress"]))
    return w3.eth.contract(address=address, abi=art.abi)


def deploy_private_proofs(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    system: System,
    *,
    quorum: int,
    commit_window: int,
    reveal_window: int,
    category: int = 4,
) -> PrivateProofs:
    """Deploy registry, Poseidon-root EpochVerifier (no ledger role) and Groth16 verifier."""
    w3, ledger = system.w3, system.ledger.address
    registry = _deploy(deployer, w3, artifacts, REGISTRY, ledger)
    roots = _deploy(
        deployer, w3, artifacts, ROOTS, ledger, category, quorum, commit_window, reveal_window
    )
    verifier = _deploy(deployer, w3, artifacts, VERIFIER)
    return PrivateProofs(registry, roots, verifier)


def deploy_gate(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    proofs: PrivateProofs,
    *,
    threshold: int,
    label: str,
) -> Contract:
    """A service's CreditGate over ``proofs``' verifier and Poseidon roots."""
    w3 = proofs.registry.w3
    return _deploy(
        deployer,
        w3,
        artifacts,
        GATE,
        proofs.verifier.address,
        proofs.roots.address,
        threshold,
        label,
    )


def register_typed_data(
    chain_id: int, registry: str, resident: str, commitment: int, deadline: int
) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload a resident's wallet signs for ``registerBySig``."""
    return {
        "types": REGISTER_TYPES,
        "primaryType": "RegisterIdentity",
        "domain": {
            "name": "IdentityRegistry",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry),
        },
        "message": {
            "resident": to_checksum_address(resident),
            "commitment": commitment,
            "deadline": deadline,
        },
    }


def sign_register(
    private_key: bytes,
    chain_id: int,
    registry: str,
    resident: str,
    commitment: int,
    deadline: int,
) -> bytes:
    """A resident's 65-byte signature of their registration (as a wallet returns it)."""
    payload = register_typed_data(chain_id, registry, resident, commitment, deadline)
    signable = encode_typed_data(full_message=payload)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    sig = keys.PrivateKey(private_key).sign_msg_hash(digest)
    r, s, v = int(sig.r), int(sig.s), int(sig.v)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((27 + v,))


def register_by_sig(
    relayer: Transactor,
    registry: Contract,
    resident: str,
    commitment: int,
    deadline: int,
    signature: bytes,
) -> TxReceipt:
    """Relay a resident's signed registration (the relayer pays the gas)."""
    fn = registry.functions.registerBySig(
        to_checksum_address(resident), commitment, deadline, signature
    )
    return relayer.send(fn, gas=200_000)


def attach_registry(system: System, artifacts: dict[str, Artifact], address: str) -> Contract:
    """The IdentityRegistry at ``address`` on ``system``'s chain."""
    abi = artifacts[REGISTRY].abi
    return system.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def identity_commitments(registry: Contract, *, to_block: int | str = "latest") -> dict[str, int]:
    """Every registered commitment up to ``to_block``, by lower-case resident address."""
    logs = registry.events.IdentityRegistered.get_logs(from_block=0, to_block=to_block)
    return {str(e["args"]["resident"]).lower(): int(e["args"]["commitment"]) for e in logs}


def pass_gate(
    sender: Transactor,
    gate: Contract,
    epoch: int,
    root: int,
    nullifier: int,
    recipient: str,
    proof: tuple[list[int], list[list[int]], list[int]],
) -> TxReceipt:
    """Send ``pass`` to ``gate`` with a fixed gas limit (see :data:`GATE_GAS`)."""
    fn = gate.functions["pass"]  # `pass` is a Python keyword: no attribute access
    return sender.send(
        fn(epoch, root, nullifier, to_checksum_address(recipient), proof), gas=GATE_GAS
    )
