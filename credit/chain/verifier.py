"""The EpochVerifier on chain: deploying it, and the calls a verifier worker makes.

Deployment adds the contract to an existing system and grants it VERIFIER_ROLE on the ledger (the
deployer must be the ledger's admin); the returned record lists it as ``EpochVerifier`` so later
commands find it in the same deployment file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain.deploy import DeployedContract, DeploymentRecord, System, abi_hash, role_id
from credit.chain.eip712 import (
    DOMAIN_FIELDS,
    contract_typed_data,
    payload_digest,
    struct_fields,
    wallet_signature,
)
from credit.chain.reverts import ErrorDecoder
from credit.chain.tx import Transactor
from credit.errors import ChainError

CONTRACT_NAME = "EpochVerifier"
VERIFICATION_CATEGORY = 4  # "ledger_verification" in rules/city-default.json
# finalize lists every revealed root up to this many (for their RootDisagreement events); past it,
# only a winning root (which needs no others listed), so finalising never outgrows a block.
MAX_LISTED_ROOTS = 256
# Gas limit of a crediting page: a bound on the measured worst case (bench/results/verify.json,
# ``credit_page_gas``), so that fixed-gas senders need no estimate.
PAGE_GAS_BASE = 120_000
PAGE_GAS_PER_WINNER = 70_000


class Outcome(IntEnum):
    """``IEpochVerifier.Outcome``."""

    OPEN = 0
    FINALIZED = 1
    NO_CONSENSUS = 2


@dataclass(frozen=True)
class Windows:
    """When an epoch's commit, reveal and credit windows open and close (unix seconds)."""

    commit_opens: int
    reveal_opens: int
    reveal_closes: int
    credit_closes: int


@dataclass(frozen=True)
class Tally:
    """``epochTally``: reveals so far, outcome, finalised root (zero bytes if none), and how many
    of the root's revealers no crediting page has settled yet."""

    reveals: int
    outcome: Outcome
    root: bytes
    unsettled: int


@dataclass(frozen=True)
class VerifierTerms:
    """An EpochVerifier's settings: the quorum of agreeing reveals, the commit and reveal windows
    (seconds) and the automated ledger category its verifiers earn. The deployment record keeps
    them (``extra["verifier"]``), so that private proofs deploy their instance alike."""

    quorum: int
    commit_window: int
    reveal_window: int
    category: int = VERIFICATION_CATEGORY

    @classmethod
    def of_record(cls, record: DeploymentRecord) -> VerifierTerms | None:
        """The terms of the EpochVerifier ``record`` lists, if it lists one."""
        terms = record.extra.get("verifier")
        if CONTRACT_NAME not in record.contracts or not terms:
            return None
        return cls(*(int(terms[f.name]) for f in fields(cls)))

    def constructor_args(self) -> tuple[int, int, int, int]:
        """The constructor's arguments after the ledger's address, in its order."""
        return self.category, self.quorum, self.commit_window, self.reveal_window


def commitment_of(root: bytes, salt: bytes, resident: str) -> bytes:
    """``keccak256(abi.encode(root, salt, resident))``: what a resident commits."""
    return keccak(abi_encode(["bytes32", "bytes32", "address"], [root, salt, resident]))


# ---------------------------------------------------------------------- relayed commitments
# The verifier's own EIP-712 domain (OpenZeppelin EIP712("EpochVerifier", "1")): a resident signs
# Commit(epoch, commitment, deadline) and anyone relays it with commitBySig.
DOMAIN_NAME = "EpochVerifier"
DOMAIN_VERSION = "1"
COMMIT_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": DOMAIN_FIELDS,  # the ledger's domain struct: the same four fields
    "Commit": struct_fields("uint24 epoch,bytes32 commitment,uint256 deadline"),
}


def commit_typed_data(
    chain_id: int, verifier: str, epoch: int, commitment: bytes, deadline: int
) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload a resident's wallet signs for ``commitBySig``."""
    domain = (DOMAIN_NAME, DOMAIN_VERSION, chain_id, verifier)
    message = {"epoch": epoch, "commitment": commitment, "deadline": deadline}
    return contract_typed_data(COMMIT_TYPES, "Commit", domain, message)


def commit_digest(
    chain_id: int, verifier: str, epoch: int, commitment: bytes, deadline: int
) -> bytes:
    """The 32-byte EIP-712 digest ``commitBySig`` checks the resident's signature against."""
    return payload_digest(commit_typed_data(chain_id, verifier, epoch, commitment, deadline))


def sign_commit(
    private_key: bytes, chain_id: int, verifier: str, epoch: int, commitment: bytes, deadline: int
) -> bytes:
    """A resident's 65-byte ``r || s || v`` signature of a commitment (as a wallet returns it)."""
    return wallet_signature(
        private_key, commit_digest(chain_id, verifier, epoch, commitment, deadline)
    )


def deploy_verifier(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    system: System,
    terms: VerifierTerms,
) -> tuple[Contract, DeploymentRecord]:
    """Deploy an EpochVerifier for ``system``'s ledger and grant it VERIFIER_ROLE.

    Returns the contract and the system's deployment record with the verifier added.
    """
    art = artifacts[CONTRACT_NAME]
    receipt = deployer.deploy(
        art.abi, art.bytecode, system.ledger.address, *terms.constructor_args()
    )
    address = Web3.to_checksum_address(str(receipt["contractAddress"]))
    contract = system.w3.eth.contract(address=address, abi=art.abi)
    grant = system.ledger.functions.grantRole(role_id("VERIFIER_ROLE"), address)
    deployer.send(grant, gas=120_000)
    entry = DeployedContract(
        address,
        receipt["transactionHash"].to_0x_hex(),
        int(receipt["blockNumber"]),
        abi_hash(art.abi),
    )
    extra = {**system.record.extra, "verifier": asdict(terms)}
    record = replace(
        system.record, contracts={**system.record.contracts, CONTRACT_NAME: entry}, extra=extra
    )
    return contract, record


def attach_verifier(
    system: System, artifacts: dict[str, Artifact], name: str = CONTRACT_NAME
) -> Contract:
    """The EpochVerifier listed in ``system``'s deployment record (as ``name``: another instance
    of the same contract, e.g. private proofs' ``PoseidonRoots``)."""
    entry = system.record.contracts.get(name)
    if entry is None and name != CONTRACT_NAME:
        raise ChainError(f"the deployment file lists no {name}")
    if entry is None:
        raise ChainError(
            "the deployment file lists no EpochVerifier: deploy one with `credit verify deploy`"
        )
    address = Web3.to_checksum_address(entry.address)
    return system.w3.eth.contract(address=address, abi=artifacts[CONTRACT_NAME].abi)


class VerifierClient:
    """Reads and calls of one EpochVerifier, sent (when needed) from one resident's key."""

    def __init__(
        self,
        contract: Contract,
        tx: Transactor | None = None,
        *,
        from_block: int = 0,
        decoder: ErrorDecoder | None = None,
    ) -> None:
        self.contract = contract
        self.tx = tx
        self.decoder = decoder or (tx.decoder if tx is not None else None)
        self.from_block = from_block
        self.w3: Web3 = contract.w3

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def resident(self) -> str:
        return self._sender().address

    # ------------------------------------------------------------------ reads
    def now(self) -> int:
        """Time of the latest block (the chain's clock, which windows are measured against)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def windows(self, epoch: int) -> Windows:
        return Windows(*(int(v) for v in self.contract.functions.windows(epoch).call()))

    def tally(self, epoch: int) -> Tally:
        reveals, outcome, root, unsettled = self.contract.functions.epochTally(epoch).call()
        return Tally(int(reveals), Outcome(outcome), bytes(root), int(unsettled))

    def ballot(self, epoch: int, resident: str) -> tuple[bool, bool]:
        """``(committed, revealed)`` of ``resident`` for ``epoch``."""
        committed, revealed = self.contract.functions.ballotOf(epoch, _cs(resident)).call()
        return bool(committed), bool(revealed)

    def quorum(self) -> int:
        return int(self.contract.functions.config().call()[2])

    def category(self) -> int:
        """The automated ledger category verifiers earn."""
        return int(self.contract.functions.config().call()[1])

    def is_contract(self, address: str) -> bool:
        """Whether ``address`` has code (a contract account signs by ERC-1271, not ECDSA)."""
        return len(self.w3.eth.get_code(_cs(address))) > 0

    def commitments(self, epoch: int) -> dict[str, bytes]:
        """Who committed what for ``epoch`` (lower-case address -> commitment), from events."""
        logs = self.contract.events.Committed.get_logs(
            from_block=self.from_block, argument_filters={"epoch": epoch}
        )
        return {str(e["args"]["resident"]).lower(): bytes(e["args"]["commitment"]) for e in logs}

    def reveals(self, epoch: int) -> dict[str, bytes]:
        """Who revealed which root for ``epoch`` (lower-case address -> root), from events."""
        logs = self.contract.events.Revealed.get_logs(
            from_block=self.from_block, argument_filters={"epoch": epoch}
        )
        return {str(e["args"]["resident"]).lower(): bytes(e["args"]["root"]) for e in logs}

    def finalize_args(self, epoch: int) -> list[bytes]:
        """What ``finalize`` needs: the revealed roots, sorted.

        All of them (each but the winner gets its RootDisagreement event), unless there are more
        than :data:`MAX_LISTED_ROOTS` and one holds the quorum and a strict majority: then that root
        alone, which the contract accepts because no other root can win against it.
        """
        reveals = self.reveals(epoch)
        counts = Counter(reveals.values())
        roots = sorted(counts)
        if len(roots) <= MAX_LISTED_ROOTS:
            return roots
        best, count = counts.most_common(1)[0]
        if count >= self.quorum() and 2 * count > len(reveals):
            return [best]
        return roots  # no winner: every root must be listed to show it

    def winners(self, epoch: int) -> list[str]:
        """Every revealer of ``epoch``'s finalised root (none if no root is final), by address."""
        root = self.tally(epoch).root
        if not any(root):
            return []
        found = (a for a, r in self.reveals(epoch).items() if r == root)
        return [_cs(a) for a in sorted(found, key=lambda a: int(a, 16))]

    def unsettled_winners(self, epoch: int, candidates: list[str], chunk: int = 1000) -> list[str]:
        """Those of ``candidates`` who revealed the final root and no crediting page settled yet."""
        unsettled: list[str] = []
        fn = self.contract.functions.unsettledWinners
        for k in range(0, len(candidates), chunk):
            page = [_cs(a) for a in candidates[k : k + chunk]]
            unsettled += [_cs(a) for a in self._call(fn(epoch, page))]
        return unsettled

    def page_limit(self) -> int:
        """Most winners one ``creditWinners`` page may list."""
        return int(self.contract.functions.creditPageLimit().call())

    def verify_credit(
        self, epoch: int, resident: str, credit: int, earned: int, proof: list[bytes]
    ) -> bool:
        """The contract's ``verifyCredit`` (reverts with VerifierNotFinalized if no root)."""
        fn = self.contract.functions.verifyCredit(epoch, _cs(resident), credit, earned, proof)
        return bool(self._call(fn))

    def proves_at_least(
        self,
        epoch: int,
        resident: str,
        threshold: int,
        credit: int,
        earned: int,
        proof: list[bytes],
    ) -> bool:
        """The contract's ``provesAtLeast``."""
        fn = self.contract.functions.provesAtLeast(
            epoch, _cs(resident), threshold, credit, earned, proof
        )
        return bool(self._call(fn))

    # ------------------------------------------------------------------ transactions
    def commit(self, epoch: int, commitment: bytes) -> TxReceipt:
        return self._sender().send(self.contract.functions.commit(epoch, commitment))

    def reveal(self, epoch: int, root: bytes, salt: bytes) -> TxReceipt:
        return self._sender().send(self.contract.functions.reveal(epoch, root, salt))

    def commit_by_sig(
        self, epoch: int, resident: str, commitment: bytes, deadline: int, signature: bytes
    ) -> TxReceipt:
        """Relay ``resident``'s signed commitment (this client's key pays the gas)."""
        fn = self.contract.functions.commitBySig(
            epoch, _cs(resident), commitment, deadline, signature
        )
        return self._sender().send(fn)

    def reveal_for(self, epoch: int, resident: str, root: bytes, salt: bytes) -> TxReceipt:
        """Reveal ``resident``'s commitment with their root and salt (anyone may send it)."""
        fn = self.contract.functions.revealFor(epoch, _cs(resident), root, salt)
        return self._sender().send(fn)

    def finalize(self, epoch: int, roots: list[bytes] | None = None) -> TxReceipt:
        """Finalise ``epoch`` (decides its root; pays nobody); ``roots`` default to
        :meth:`finalize_args`."""
        fn = self.contract.functions.finalize(
            epoch, self.finalize_args(epoch) if roots is None else roots
        )
        return self._sender().send(fn)

    def credit_winners(self, epoch: int, winners: list[str]) -> TxReceipt:
        """Push one crediting page: ``winners`` (at most :meth:`page_limit`), each paid once."""
        fn = self.contract.functions.creditWinners(epoch, [_cs(w) for w in winners])
        sender = self._sender()
        # A sender that estimates learns of a revert (a page someone else pushed first) before
        # sending; one with a fixed gas limit gets the page's bound instead.
        gas = None if sender.gas is None else PAGE_GAS_BASE + PAGE_GAS_PER_WINNER * len(winners)
        return sender.send(fn, gas=gas)

    def credited_in(self, receipt: TxReceipt) -> int:
        """How many winners the crediting page of ``receipt`` paid (its ``WinnersCredited``)."""
        logs = self.contract.events.WinnersCredited().process_receipt(receipt, errors=DISCARD)
        return sum(
            int(e["args"]["credited"]) for e in logs if e["address"] == self.contract.address
        )

    def _sender(self) -> Transactor:
        if self.tx is None:
            raise ChainError("this verifier client is read-only: give it a Transactor to send")
        return self.tx

    def _call(self, fn: Any) -> Any:
        try:
            return fn.call()
        except Exception as exc:
            if self.decoder is None or isinstance(exc, ChainError):
                raise
            raise self.decoder.from_exception(exc) from exc


def _cs(address: str) -> Any:
    return Web3.to_checksum_address(address)
