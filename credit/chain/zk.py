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

from dataclasses import dataclass, field, replace
from typing import Any

from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain.deploy import DeployedContract, DeploymentRecord, System, abi_hash
from credit.chain.tx import Transactor
from credit.chain.verifier import COMMIT_TYPES
from credit.errors import ChainError

REGISTRY = "IdentityRegistry"
ROOTS = "EpochVerifier"
VERIFIER = "CreditAtLeastVerifier"
GATE = "CreditGate"
#: The deployment record's name of the Poseidon-root EpochVerifier (its ABI is ``ROOTS``'s): the
#: record already names the keccak-root instance ``EpochVerifier``.
ROOTS_ENTRY = "PoseidonRoots"
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
    # deployment-record entries by record name (empty when attached from a record)
    entries: dict[str, DeployedContract] = field(default_factory=dict, compare=False)

    def addresses(self) -> dict[str, str]:
        return {
            "identity_registry": self.registry.address,
            "poseidon_roots": self.roots.address,
            "verifier": self.verifier.address,
        }


def _deploy(
    deployer: Transactor, w3: Web3, artifacts: dict[str, Artifact], name: str, *args: Any
) -> Contract:
    return _deploy_entry(deployer, w3, artifacts, name, *args)[0]


def _deploy_entry(
    deployer: Transactor, w3: Web3, artifacts: dict[str, Artifact], name: str, *args: Any
) -> tuple[Contract, DeployedContract]:
    art = artifacts[name]
    receipt = deployer.deploy(art.abi, art.bytecode, *args)
    address = Web3.to_checksum_address(str(receipt["contractAddress"]))
    entry = DeployedContract(
        address,
        receipt["transactionHash"].to_0x_hex(),
        int(receipt["blockNumber"]),
        abi_hash(art.abi),
    )
    return w3.eth.contract(address=address, abi=art.abi), entry


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
    registry, registry_entry = _deploy_entry(deployer, w3, artifacts, REGISTRY, ledger)
    roots, roots_entry = _deploy_entry(
        deployer, w3, artifacts, ROOTS, ledger, category, quorum, commit_window, reveal_window
    )
    verifier, verifier_entry = _deploy_entry(deployer, w3, artifacts, VERIFIER)
    entries = {REGISTRY: registry_entry, ROOTS_ENTRY: roots_entry, VERIFIER: verifier_entry}
    return PrivateProofs(registry, roots, verifier, entries)


def with_private_proofs(record: DeploymentRecord, proofs: PrivateProofs) -> DeploymentRecord:
    """``record`` listing ``proofs``' contracts, so that verifier workers (``credit verify run``),
    the gateway and the auditor find the registry and the Poseidon-root instance in the same
    deployment file. Needs the entries :func:`deploy_private_proofs` returns."""
    if not proofs.entries:
        raise ChainError("these private-proof contracts carry no deployment entries to record")
    return replace(record, contracts={**record.contracts, **proofs.entries})


def attach_private_proofs(system: System, artifacts: dict[str, Artifact]) -> PrivateProofs | None:
    """The private-proof contracts ``system``'s deployment record lists, or None if it lists
    no Poseidon-root instance (a city without private proofs)."""
    entries = system.record.contracts
    if ROOTS_ENTRY not in entries:
        return None
    missing = [n for n in (REGISTRY, VERIFIER) if n not in entries]
    if missing:
        raise ChainError(
            f"the deployment file lists a {ROOTS_ENTRY} but no {', '.join(missing)}: "
            "record every private-proof contract (credit.chain.zk.with_private_proofs)"
        )

    def at(entry: str, name: str) -> Contract:
        address = Web3.to_checksum_address(entries[entry].address)
        return system.w3.eth.contract(address=address, abi=artifacts[name].abi)

    return PrivateProofs(
        at(REGISTRY, REGISTRY),
        at(ROOTS_ENTRY, ROOTS),
        at(VERIFIER, VERIFIER),
        {n: entries[n] for n in (REGISTRY, ROOTS_ENTRY, VERIFIER)},
    )


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


def identity_commitments(
    registry: Contract, *, to_block: int | str = "latest", from_block: int = 0
) -> dict[str, int]:
    """Every registered commitment up to ``to_block``, by lower-case resident address."""
    return {r.resident: r.commitment for r in registrations(registry, to_block, from_block)}


@dataclass(frozen=True)
class Registration:
    """One ``IdentityRegistered`` event."""

    resident: str  # lower-case
    commitment: int
    block_number: int
    log_index: int
    tx_hash: str


def registrations(
    registry: Contract, to_block: int | str = "latest", from_block: int = 0
) -> list[Registration]:
    """Every ``IdentityRegistered`` of ``registry`` in ``from_block..to_block``, in chain order."""
    logs = registry.events.IdentityRegistered.get_logs(from_block=from_block, to_block=to_block)
    return [
        Registration(
            str(e["args"]["resident"]).lower(),
            int(e["args"]["commitment"]),
            int(e["blockNumber"]),
            int(e["logIndex"]),
            e["transactionHash"].to_0x_hex(),
        )
        for e in sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))
    ]


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


@dataclass(frozen=True)
class FinalizedRoot:
    """One ``EpochFinalized`` event of an EpochVerifier."""

    epoch: int
    root: bytes
    revealers: int
    block_number: int
    log_index: int
    tx_hash: str


def finalized_roots(
    roots: Contract, to_block: int | str = "latest", from_block: int = 0
) -> list[FinalizedRoot]:
    """Every epoch ``roots`` (an EpochVerifier) finalised in ``from_block..to_block``."""
    logs = roots.events.EpochFinalized.get_logs(from_block=from_block, to_block=to_block)
    return [
        FinalizedRoot(
            int(e["args"]["epoch"]),
            bytes(e["args"]["root"]),
            int(e["args"]["revealers"]),
            int(e["blockNumber"]),
            int(e["logIndex"]),
            e["transactionHash"].to_0x_hex(),
        )
        for e in sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))
    ]
