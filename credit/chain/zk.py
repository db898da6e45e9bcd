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

The deployment record lists them (:func:`record_private_proofs`, :func:`record_gate`): the three
contracts under :data:`RECORD_NAMES`, each gate under ``CreditGate <label>`` with its label,
threshold and display name in ``extra["gates"]``; :func:`attach_private_proofs` and
:func:`recorded_gates` read them back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain.deploy import DeployedContract, DeploymentRecord, System, abi_hash
from credit.chain.eip712 import (
    contract_typed_data,
    payload_digest,
    struct_fields,
    wallet_signature,
)
from credit.chain.tx import Transactor
from credit.chain.verifier import COMMIT_TYPES, VerifierTerms
from credit.chain.zk_events import (  # re-exported: the readers of the contracts' events
    FinalizedRoot,
    Registration,
    finalized_root_events,
    finalized_roots,
    identity_commitments,
    registrations,
)

REGISTRY = "IdentityRegistry"
ROOTS = "EpochVerifier"
VERIFIER = "CreditAtLeastVerifier"
GATE = "CreditGate"
#: A gate call spends ~270k gas; estimates of a Groth16 check run low (the verifier returns false
#: when short of gas), so gate transactions carry this fixed limit.
GATE_GAS = 400_000
#: The gas limit of a relayed ``registerBySig``.
REGISTER_GAS = 200_000

__all__ = [
    "FinalizedRoot",
    "Registration",
    "finalized_root_events",
    "finalized_roots",
    "identity_commitments",
    "registrations",
]

REGISTER_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": COMMIT_TYPES["EIP712Domain"],  # name, version, chainId, verifyingContract
    "RegisterIdentity": struct_fields("address resident,uint256 commitment,uint256 deadline"),
}


#: Names of the private-proof contracts in a deployment record (the roots instance is an
#: EpochVerifier, recorded under its own name beside the keccak root's "EpochVerifier").
RECORD_NAMES = {
    "registry": "IdentityRegistry",
    "roots": "PoseidonRootVerifier",
    "verifier": "CreditAtLeastVerifier",
}
#: The deployment record's name of the Poseidon-root EpochVerifier (its ABI is ``ROOTS``'s): the
#: record already names the keccak-root instance ``EpochVerifier``.
ROOTS_ENTRY = RECORD_NAMES["roots"]
GATE_PREFIX = "CreditGate "


@dataclass(frozen=True)
class PrivateProofs:
    """The deployed contracts of private proofs."""

    registry: Contract
    roots: Contract  # the EpochVerifier instance of Poseidon roots
    verifier: Contract
    receipts: tuple[TxReceipt, ...] = ()  # of the three deployments, when deployed here

    def addresses(self) -> dict[str, str]:
        return {
            "identity_registry": self.registry.address,
            "poseidon_roots": self.roots.address,
            "verifier": self.verifier.address,
        }


def _deployed(
    deployer: Transactor, w3: Web3, artifacts: dict[str, Artifact], name: str, *args: Any
) -> tuple[Contract, TxReceipt]:
    art = artifacts[name]
    receipt = deployer.deploy(art.abi, art.bytecode, *args)
    address = Web3.to_checksum_address(str(receipt["contractAddress"]))
    return w3.eth.contract(address=address, abi=art.abi), receipt


def deploy_private_proofs(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    system: System,
    terms: VerifierTerms,
) -> PrivateProofs:
    """Deploy registry, Poseidon-root EpochVerifier (no ledger role) and Groth16 verifier; the
    roots' instance has ``terms``, those of the keccak-root EpochVerifier."""
    w3, ledger = system.w3, system.ledger.address
    registry, r1 = _deployed(deployer, w3, artifacts, REGISTRY, ledger)
    roots, r2 = _deployed(deployer, w3, artifacts, ROOTS, ledger, *terms.constructor_args())
    verifier, r3 = _deployed(deployer, w3, artifacts, VERIFIER)
    return PrivateProofs(registry, roots, verifier, (r1, r2, r3))


def deploy_gate(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    proofs: PrivateProofs,
    *,
    threshold: int,
    label: str,
) -> Contract:
    """A service's CreditGate over ``proofs``' verifier and Poseidon roots."""
    return _deployed_gate(deployer, artifacts, proofs, threshold, label)[0]


def _deployed_gate(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    proofs: PrivateProofs,
    threshold: int,
    label: str,
) -> tuple[Contract, TxReceipt]:
    verifier, roots = proofs.verifier.address, proofs.roots.address
    w3 = proofs.registry.w3
    return _deployed(deployer, w3, artifacts, GATE, verifier, roots, threshold, label)


def register_typed_data(
    chain_id: int, registry: str, resident: str, commitment: int, deadline: int
) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload a resident's wallet signs for ``registerBySig``."""
    domain = ("IdentityRegistry", "1", chain_id, registry)
    message = {
        "resident": to_checksum_address(resident),
        "commitment": commitment,
        "deadline": deadline,
    }
    return contract_typed_data(REGISTER_TYPES, "RegisterIdentity", domain, message)


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
    return wallet_signature(private_key, payload_digest(payload))


def register_by_sig(
    relayer: Transactor,
    registry: Contract,
    resident: str,
    commitment: int,
    deadline: int,
    signature: bytes,
    *,
    checked: bool = False,
) -> TxReceipt:
    """Relay a resident's signed registration (the relayer pays the gas); ``checked`` calls it
    first, so that a refusal raises its ContractRevert unsent (``Transactor.send_checked``)."""
    fn = registry.functions.registerBySig(
        to_checksum_address(resident), commitment, deadline, signature
    )
    return (relayer.send_checked if checked else relayer.send)(fn, gas=REGISTER_GAS)


def attach_registry(system: System, artifacts: dict[str, Artifact], address: str) -> Contract:
    """The IdentityRegistry at ``address`` on ``system``'s chain."""
    abi = artifacts[REGISTRY].abi
    return system.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def pass_gate(
    sender: Transactor,
    gate: Contract,
    epoch: int,
    root: int,
    nullifier: int,
    recipient: str,
    proof: tuple[list[int], list[list[int]], list[int]],
    *,
    checked: bool = False,
) -> TxReceipt:
    """Send ``pass`` to ``gate`` with a fixed gas limit (see :data:`GATE_GAS`); ``checked`` calls
    it first, so that a refusal raises its ContractRevert unsent (``Transactor.send_checked``)."""
    fn = gate.functions["pass"]  # `pass` is a Python keyword: no attribute access
    call = fn(epoch, root, nullifier, to_checksum_address(recipient), proof)
    return (sender.send_checked if checked else sender.send)(call, gas=GATE_GAS)


# -------------------------------------------------------------------------- deployment record
@dataclass(frozen=True)
class GateInfo:
    """A gate as the deployment record lists it."""

    address: str
    label: str  # the on-chain label the scope binds (e.g. "library-2027-Q1")
    threshold: int
    name: str  # what the service calls it (e.g. "city library: credit ≥ 50")
    scope: int


def _entry(contract: Contract, receipt: TxReceipt) -> DeployedContract:
    return DeployedContract(
        str(contract.address),
        receipt["transactionHash"].to_0x_hex(),
        int(receipt["blockNumber"]),
        abi_hash([dict(item) for item in contract.abi]),
    )


def record_private_proofs(record: DeploymentRecord, proofs: PrivateProofs) -> DeploymentRecord:
    """``record`` listing the three contracts :func:`deploy_private_proofs` deployed."""
    contracts = (proofs.registry, proofs.roots, proofs.verifier)
    if len(proofs.receipts) != len(contracts):
        raise ValueError("record private proofs from deploy_private_proofs (it keeps the receipts)")
    names = RECORD_NAMES.values()
    entries = {n: _entry(c, r) for n, c, r in zip(names, contracts, proofs.receipts, strict=True)}
    return replace(record, contracts={**record.contracts, **entries})


def deploy_recorded_gate(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    proofs: PrivateProofs,
    record: DeploymentRecord,
    *,
    threshold: int,
    label: str,
    name: str,
) -> tuple[Contract, DeploymentRecord]:
    """Deploy a gate (:func:`deploy_gate`) and return it with ``record`` listing it."""
    gate, receipt = _deployed_gate(deployer, artifacts, proofs, threshold, label)
    info = {
        "address": str(gate.address),
        "label": label,
        "threshold": threshold,
        "name": name,
        "scope": str(gate.functions.scope().call()),
    }
    gates = [*record.extra.get("gates", []), info]
    return gate, replace(
        record,
        contracts={**record.contracts, GATE_PREFIX + label: _entry(gate, receipt)},
        extra={**record.extra, "gates": gates},
    )


def recorded_gates(record: DeploymentRecord) -> list[GateInfo]:
    """The gates ``record`` lists, in the order they were deployed."""
    return [
        GateInfo(
            to_checksum_address(g["address"]),
            str(g["label"]),
            int(g["threshold"]),
            str(g.get("name") or g["label"]),
            int(g["scope"]),
        )
        for g in record.extra.get("gates", [])
    ]


def attach_private_proofs(system: System, artifacts: dict[str, Artifact]) -> PrivateProofs | None:
    """The private-proof contracts ``system``'s record lists, or None when it lists none."""
    entries = {k: system.record.contracts.get(n) for k, n in RECORD_NAMES.items()}
    if any(e is None for e in entries.values()):
        return None
    kinds = {"registry": REGISTRY, "roots": ROOTS, "verifier": VERIFIER}
    found = {
        k: system.w3.eth.contract(
            address=Web3.to_checksum_address(str(e.address)), abi=artifacts[kinds[k]].abi
        )
        for k, e in entries.items()
        if e is not None
    }
    return PrivateProofs(found["registry"], found["roots"], found["verifier"])


def attach_gate(system: System, artifacts: dict[str, Artifact], address: str) -> Contract:
    """The CreditGate at ``address`` on ``system``'s chain."""
    return system.w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=artifacts[GATE].abi
    )
