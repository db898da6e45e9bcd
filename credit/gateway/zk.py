"""Private proofs through the gateway: each finalised epoch's Poseidon leaves, and relayed writes.

Decisions:

- **Leaves.** A browser proves membership in an epoch's Poseidon root, so it needs every leaf
  (identity commitment, credit) of that epoch; they are public (commitments are registered on
  chain, credits are the ledger's). The gateway computes them as the residents' verifiers do (the
  same replay, :mod:`credit.verify.poseidon_root`) and serves them only for an epoch whose root
  the residents finalised, and only when its tree has that very root: the consensus root is the
  authority, so a gateway that replays differently refuses (409 ``root_mismatch``) rather than
  send leaves no proof could pass with. A finalised epoch never changes: one replay per epoch,
  kept in memory.
- **Relaying.** ``registerBySig`` (the resident's EIP-712 signature over their commitment) and a
  gate's ``pass`` (the proof; its recipient is a public signal, so relaying it cannot redirect
  it) are sent by the gateway's minter key, as the verification ballots are
  (:mod:`credit.gateway.verification`): one signer at a time under
  :func:`~credit.gateway.rewards.minter_signing`, a fresh nonce each time. The deadline and an
  ECDSA signature are checked here; every other rule by a call before sending, whose revert
  names the contract's error: both map to the same typed 4xx, so a refusal costs no gas.
- Only gates the deployment record lists are relayed to: the gateway pays their gas.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from eth_account import Account as EthAccount
from eth_utils import to_checksum_address

from credit.artifacts import Artifact
from credit.chain.deploy import System
from credit.chain.eip712 import payload_digest
from credit.chain.events import EventSource
from credit.chain.tx import Transactor
from credit.chain.zk import (
    RECORD_NAMES,
    GateInfo,
    PrivateProofs,
    attach_gate,
    attach_private_proofs,
    finalized_roots,
    identity_commitments,
    recorded_gates,
    register_by_sig,
    register_typed_data,
)
from credit.chain.zk import pass_gate as send_pass
from credit.errors import ContractRevert
from credit.gateway.errors import ApiError, check_signer
from credit.gateway.rewards import minter_signing
from credit.gateway.services import Services
from credit.verify.poseidon_root import poseidon_tree
from credit.verify.replay import replay_epoch
from credit.zk.inputs import Statement, gate_proof_args
from credit.zk.tree import PoseidonTree

# The contracts' refusals as (status, code, what to do next).
_REFUSALS: dict[str, tuple[int, str, str]] = {
    "IdentityAlreadyRegistered": (
        409,
        "already_registered",
        "this resident registered an identity commitment already: one per resident; prove with it",
    ),
    "IdentityCommitmentTaken": (
        409,
        "commitment_taken",
        "someone registered this commitment already: it names one leaf, so it cannot be yours too",
    ),
    "IdentityInvalidCommitment": (
        422,
        "invalid_commitment",
        "a commitment is Poseidon(secret): non-zero and below the BN254 field order",
    ),
    "IdentityNotResident": (
        403,
        "not_resident",
        "only registered residents register an identity: ask the registry office to register you",
    ),
    "IdentityExpiredSignature": (
        422,
        "expired",
        "the signature's deadline has passed: sign the registration again",
    ),
    "IdentityInvalidSignature": (
        403,
        "bad_signature",
        "the signature is not the resident's over this registration: sign it again",
    ),
    "GateUnknownRoot": (
        409,
        "unknown_root",
        "this root is not the finalised Poseidon root of that epoch: prove against the leaves "
        "of a finalised epoch (GET /v1/zk/epochs/{epoch}/leaves)",
    ),
    "GateNullifierUsed": (
        409,
        "nullifier_used",
        "this resident passed this gate already: one pass per resident and scope",
    ),
    "GateInvalidProof": (
        422,
        "invalid_proof",
        "the proof does not verify for this gate, root, nullifier and recipient: prove again "
        "for this gate",
    ),
}


def refusal(exc: ContractRevert) -> ApiError | None:
    """The typed 4xx of a registry or gate revert (``details.error`` names it), or None."""
    found = _REFUSALS.get(exc.name)
    if found is None:
        return None
    status, code, message = found
    args = {k: str(v) if isinstance(v, int) else v for k, v in exc.args.items()}
    return ApiError(status, code, message, {"error": exc.name, "args": args})


class NoPrivateProofs(ApiError):
    def __init__(self) -> None:
        super().__init__(
            404,
            "no_private_proofs",
            "this ledger has no private-proof contracts (IdentityRegistry, Poseidon roots, "
            "verifier) in its deployment record",
        )


@dataclass(frozen=True)
class EpochLeaves:
    epoch: int
    tree: PoseidonTree
    as_of_block: int


class PrivateProofsService:
    """The deployment's private-proof contracts as the gateway reads and relays to them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._proofs: PrivateProofs | None = None
        self._leaves: dict[int, EpochLeaves] = {}
        self._gate_artifact: Artifact | None = None
        self._replay_lock = threading.Lock()  # one replay at a time: they are heavy

    @property
    def system(self) -> System:
        return self.services.system

    def proofs(self) -> PrivateProofs:
        """The contracts (404 ``no_private_proofs`` when the record lists none)."""
        contracts = self.system.record.contracts
        if any(name not in contracts for name in RECORD_NAMES.values()):
            raise NoPrivateProofs()  # before loading any artifact: this is the common answer
        with self._lock:
            if self._proofs is None:
                from credit.compile import load_artifact

                names = ("IdentityRegistry", "EpochVerifier", "CreditAtLeastVerifier")
                artifacts = {n: load_artifact(n) for n in names}
                self._proofs = attach_private_proofs(self.system, artifacts)
            if self._proofs is None:
                raise NoPrivateProofs()
            return self._proofs

    def gates(self) -> list[GateInfo]:
        return recorded_gates(self.system.record)

    def gate(self, address: str) -> GateInfo:
        for g in self.gates():
            if g.address.lower() == address.lower():
                return g
        raise ApiError(
            404,
            "unknown_gate",
            "this gateway relays only to the gates its deployment lists (GET /v1/zk)",
            {"gate": address},
        )

    def gate_contract(self, info: GateInfo) -> Any:
        """The listed gate ``info`` as a web3 contract (its artifact loaded once)."""
        with self._lock:
            if self._gate_artifact is None:
                from credit.compile import load_artifact

                self._gate_artifact = load_artifact("CreditGate")
        return attach_gate(self.system, {"CreditGate": self._gate_artifact}, info.address)

    def nullifier_used(self, info: GateInfo, nullifier: int) -> bool:
        """Whether the gate ``info`` recorded a pass with ``nullifier``."""
        gate = self.gate_contract(info)
        return bool(gate.functions.isNullifierUsed(nullifier).call())

    def finalized(self) -> dict[int, int]:
        """Finalised epochs and their Poseidon roots."""
        proofs = self.proofs()
        start = self.system.record.contracts[RECORD_NAMES["roots"]].block
        return finalized_roots(proofs.roots, from_block=start)

    def commitment_of(self, resident: str) -> int:
        registry = self.proofs().registry
        return int(registry.functions.commitmentOf(to_checksum_address(resident)).call())

    # ------------------------------------------------------------------ leaves
    def leaves(self, epoch: int) -> EpochLeaves:
        """The leaves of finalised ``epoch`` (404 ``epoch_not_finalised``; 409
        ``root_mismatch``)."""
        cached = self._leaves.get(epoch)
        if cached is not None:
            return cached
        proofs = self.proofs()
        final = int.from_bytes(bytes(proofs.roots.functions.finalRoot(epoch).call()), "big")
        if final == 0:
            raise ApiError(
                404,
                "epoch_not_finalised",
                f"epoch {epoch} has no finalised Poseidon root (yet): its leaves are served once "
                "the residents' verifiers agree it; GET /v1/zk lists the finalised epochs",
                {"epoch": epoch},
            )
        with self._replay_lock:
            cached = self._leaves.get(epoch)
            if cached is not None:
                return cached
            replay = replay_epoch(
                EventSource(self.system),
                epoch,
                confirmation_depth=self.services.settings.confirmation_depth,
            )
            commitments = identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
            tree = poseidon_tree(replay.state, commitments)
            if tree.root != final:
                raise ApiError(
                    409,
                    "root_mismatch",
                    f"this gateway's replay of epoch {epoch} gives another Poseidon root than the "
                    "one the residents finalised, so it serves no leaves for it: an operator "
                    "should compare its replay with `credit verify`",
                    {"finalised": hex(final), "replayed": hex(tree.root)},
                )
            found = EpochLeaves(epoch, tree, replay.facts.as_of_block)
            self._leaves[epoch] = found
        return found

    # ------------------------------------------------------------------ relaying
    def register(self, resident: str, commitment: int, deadline: int, signature: bytes) -> Any:
        """Relay a signed registration; returns the receipt (typed 4xx on a refusal)."""
        proofs = self.proofs()
        now = int(self.system.w3.eth.get_block("latest")["timestamp"])
        if deadline < now:
            status, code, message = _REFUSALS["IdentityExpiredSignature"]
            raise ApiError(status, code, message, {"deadline": deadline})
        account_code = self.system.w3.eth.get_code(to_checksum_address(resident))
        if not account_code:  # a contract account's ERC-1271 check decides on chain
            self._check_ecdsa(proofs, resident, commitment, deadline, signature)
            if signature[64] < 27:  # some wallets give v as 0/1; OpenZeppelin's ECDSA wants 27/28
                signature = signature[:64] + bytes((signature[64] + 27,))
        return self._send(
            lambda tx: register_by_sig(
                tx, proofs.registry, resident, commitment, deadline, signature, checked=True
            )
        )

    def pass_gate(self, info: GateInfo, epoch: int, statement: Statement, proof: Any) -> Any:
        """Relay a pass of the listed gate ``info``; returns the receipt (typed 4xx)."""
        gate = self.gate_contract(info)
        try:
            args = gate_proof_args(proof)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ApiError(
                422, "invalid_proof", "the proof is not a snarkjs Groth16 proof (pi_a, pi_b, pi_c)"
            ) from exc
        return self._send(
            lambda tx: send_pass(
                tx,
                gate,
                epoch,
                statement.root,
                statement.nullifier,
                statement.recipient_address,
                args,
                checked=True,
            )
        )

    def _check_ecdsa(
        self, proofs: PrivateProofs, resident: str, commitment: int, deadline: int, sig: bytes
    ) -> None:
        chain_id = int(self.system.record.chain_id)
        registry = proofs.registry.address
        payload = register_typed_data(chain_id, registry, resident, commitment, deadline)
        digest = payload_digest(payload)
        refused = _REFUSALS["IdentityInvalidSignature"]
        check_signer(sig, digest, resident, refused, "sign the registration again")

    def _send(self, action: Any) -> Any:
        account = EthAccount.from_key(self.services.settings.minter_private_key())
        with minter_signing(self.services.engine):  # one signer of the minter key at a time
            sender = Transactor(self.system.w3, account, self.system.decoder, gas=None)
            try:
                return action(sender)
            except ContractRevert as exc:
                typed = refusal(exc)
                if typed is None:
                    raise
                raise typed from exc
