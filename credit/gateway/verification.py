"""Residents verify the ledger from their browser: the gateway relays their signed commitments and
their reveals to the EpochVerifier, pays the gas, and settles finished epochs.

Decisions:

- Who sends: the gateway's minter key, the key that already relays appeals and decisions, under
  :func:`credit.gateway.rewards.minter_signing` (one signer at a time across threads and, on
  PostgreSQL, across the API processes and ``credit index run``) with a fresh nonce read each
  time. The relayer key is owned by the relay's signer worker (in this process or in ``credit
  relay run``), whose nonces no lock here could guard. The key needs no role: ``commitBySig``
  and ``revealFor`` are permissionless, and the resident's signature (or, for a reveal, their
  commitment) is the authority. The gateway can withhold a ballot, never alter one.
- Checks before gas: the deadline and an ECDSA signature are checked here (a contract account's
  ERC-1271 signature by the contract's own check, in the estimate); every other rule by
  estimating the transaction, whose revert names the contract's error. Both map to the same
  typed 4xx, so a refusal never costs gas and a race lost on chain still answers the same code.
- Settling is permissionless, so the gateway does it for everyone: :class:`VerificationSettler`
  finalises each epoch whose reveal window closed with reveals in it, then credits its winners,
  page by page (:func:`credit.verify.settle.settle_epoch`, what `credit verify settle` runs).
- Two tracks, one path: where the deployment lists private proofs, residents also commit-reveal
  each epoch's Poseidon credit root on its own EpochVerifier instance (``track="poseidon"``;
  the state root is ``track="state"``). Same checks, same refusals, same relaying and settling;
  only the contract differs (and its domain's ``verifyingContract`` in the signed commitment).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from eth_account import Account as EthAccount

from credit.chain.tx import Transactor
from credit.chain.verifier import CONTRACT_NAME, Outcome, VerifierClient, commit_digest
from credit.chain.verifier_epochs import EpochStatus, epoch_status
from credit.chain.zk import REGISTRY, ROOTS_ENTRY
from credit.errors import ChainError, ContractRevert, StoreError
from credit.gateway.errors import ApiError, check_signer
from credit.gateway.rewards import minter_signing
from credit.gateway.services import Services
from credit.store.retry import Background
from credit.verify.settle import settle_epoch

log = logging.getLogger(__name__)

#: The deployment-record entry of each track's EpochVerifier.
TRACKS: dict[str, str] = {"state": CONTRACT_NAME, "poseidon": ROOTS_ENTRY}

# The contract's refusals as (status, code, what to do next).
_REFUSALS: dict[str, tuple[int, str, str]] = {
    "VerifierOutsideCommitWindow": (
        409,
        "outside_window",
        "this period's commit window is not open: commit while it is open",
    ),
    "VerifierOutsideRevealWindow": (
        409,
        "outside_window",
        "this period's reveal window is not open: reveal while it is open",
    ),
    "VerifierAlreadyCommitted": (
        409,
        "already_committed",
        "this resident already committed for this period: a commitment cannot be replaced",
    ),
    "VerifierNotResident": (
        403,
        "not_resident",
        "only registered residents verify the ledger: ask the registry office to register you",
    ),
    "VerifierInvalidSignature": (
        403,
        "bad_signature",
        "the signature is not the resident's over this commitment: sign it again",
    ),
    "VerifierExpiredSignature": (
        422,
        "expired",
        "the signature's deadline has passed: sign the commitment again",
    ),
    "VerifierInvalidCommitment": (
        422,
        "invalid_commitment",
        "a commitment must not be zero: compute keccak256(abi.encode(root, salt, resident))",
    ),
    "VerifierNotCommitted": (
        409,
        "not_committed",
        "this resident made no commitment for this period, so has nothing to reveal",
    ),
    "VerifierAlreadyRevealed": (
        409,
        "already_revealed",
        "this resident already revealed for this period",
    ),
    "VerifierCommitmentMismatch": (
        422,
        "commitment_mismatch",
        "this root and salt do not open the resident's commitment: send the ones committed to",
    ),
    "VerifierInvalidRoot": (422, "invalid_root", "the zero root is never a state root"),
}


class NoVerifier(ApiError):
    def __init__(self, track: str = "state") -> None:
        if track == "state":
            message = (
                "this ledger has no verifier deployed: the operator deploys one with "
                "`credit verify deploy`"
            )
        else:
            message = "this city runs no private proofs, so there is no Poseidon root to verify"
        super().__init__(404, "no_verifier", message, {"track": track})


def refusal(exc: ContractRevert) -> ApiError | None:
    """The typed 4xx of a verifier revert, or None for any other error."""
    found = _REFUSALS.get(exc.name)
    if found is None:
        return None
    status, code, message = found
    return ApiError(status, code, message, {"error": exc.name, "args": exc.args})


class Verification:
    """The deployment's EpochVerifier as the gateway reads and relays to it."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._readers: dict[str, VerifierClient] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ reads
    def address(self, track: str = "state") -> str | None:
        entry = self.services.system.record.contracts.get(TRACKS[track])
        return None if entry is None else str(entry.address)

    def reader(self, track: str = "state") -> VerifierClient:
        """A read-only client (404 ``no_verifier`` when none is deployed)."""
        with self._lock:
            if track not in self._readers:
                self._readers[track] = self._client(None, track)
            return self._readers[track]

    def overview(self) -> dict[str, Any]:
        """What a browser needs to replay and verify: addresses, schedule, quorum, first block."""
        system = self.services.system
        length, genesis = system.ledger.functions.epochSchedule().call()
        verifier = self.address()
        category, quorum = 0, 0
        if verifier is not None:
            client = self.reader()
            category, quorum = client.category(), client.quorum()
        registry = system.record.contracts.get(REGISTRY)
        poseidon = self.address("poseidon")
        return {
            "verifier": verifier,
            "poseidon_verifier": poseidon if verifier is not None else None,
            "identity_registry": None
            if registry is None or poseidon is None or verifier is None
            else str(registry.address),
            "chain_id": int(system.record.chain_id),
            "category": category,
            "quorum": quorum,
            "epoch_length": int(length),
            "genesis": int(genesis),
            "current_epoch": int(system.ledger.functions.currentEpoch().call()),
            "ledger": str(system.ledger.address),
            "rule_book": str(system.rule_book.address),
            "start_block": int(system.record.start_block),
        }

    def epoch(self, epoch: int, track: str = "state") -> EpochStatus:
        return epoch_status(self.reader(track), self.services.system.ledger.events, epoch)

    # ------------------------------------------------------------------ relaying
    def commit(
        self,
        epoch: int,
        resident: str,
        commitment: bytes,
        deadline: int,
        signature: bytes,
        track: str = "state",
    ) -> str:
        """Relay a signed commitment; returns the transaction hash (typed 4xx on a refusal)."""
        reader = self.reader(track)
        if deadline < reader.now():
            status, code, message = _REFUSALS["VerifierExpiredSignature"]
            raise ApiError(status, code, message, {"deadline": deadline})
        if not reader.is_contract(resident):  # a contract account: its ERC-1271 check decides
            self._check_ecdsa(reader, epoch, resident, commitment, deadline, signature)
            if signature[64] < 27:  # some wallets give v as 0/1; OpenZeppelin's ECDSA wants 27/28
                signature = signature[:64] + bytes((signature[64] + 27,))
        return self._send(
            lambda c: c.commit_by_sig(epoch, resident, commitment, deadline, signature), track
        )

    def reveal(
        self, epoch: int, resident: str, root: bytes, salt: bytes, track: str = "state"
    ) -> str:
        """Relay a reveal; returns the transaction hash (typed 4xx on a refusal)."""
        self.reader(track)  # 404 before anything else
        return self._send(lambda c: c.reveal_for(epoch, resident, root, salt), track)

    def _check_ecdsa(
        self,
        reader: VerifierClient,
        epoch: int,
        resident: str,
        commitment: bytes,
        deadline: int,
        signature: bytes,
    ) -> None:
        chain_id = int(self.services.system.record.chain_id)
        digest = commit_digest(chain_id, reader.address, epoch, commitment, deadline)
        refused = _REFUSALS["VerifierInvalidSignature"]
        check_signer(signature, digest, resident, refused, "sign the commitment again")

    def _send(self, action: Callable[[VerifierClient], Any], track: str = "state") -> str:
        with minter_signing(self.services.engine):  # one signer of the minter key at a time
            try:
                receipt = action(self._client(self._sender(), track))
            except ContractRevert as exc:
                typed = refusal(exc)
                if typed is None:
                    raise
                raise typed from exc
        return str(receipt["transactionHash"].to_0x_hex())

    def _sender(self) -> Transactor:
        """The minter key, estimating gas (which reports a revert before anything is sent); a
        fresh Transactor reads the pending nonce, so it never reuses one the others took."""
        account = EthAccount.from_key(self.services.settings.minter_private_key())
        system = self.services.system
        return Transactor(system.w3, account, system.decoder, gas=None)

    def _client(self, tx: Transactor | None, track: str = "state") -> VerifierClient:
        from credit.chain.verifier import attach_verifier
        from credit.compile import load_artifact

        system = self.services.system
        entry = system.record.contracts.get(TRACKS[track])
        if entry is None or (track != "state" and CONTRACT_NAME not in system.record.contracts):
            raise NoVerifier(track)
        artifacts = {CONTRACT_NAME: load_artifact(CONTRACT_NAME)}  # both tracks: one contract
        contract = attach_verifier(system, artifacts, TRACKS[track])
        return VerifierClient(contract, tx, from_block=entry.block, decoder=system.decoder)


class VerificationSettler(Background):
    """A background part: every ``interval`` seconds, settles the epochs whose reveal window
    closed (finalise, then credit the winners) so that browser verifiers are paid with nobody
    running a CLI. Idle when no verifier is deployed; errors are logged and retried next time."""

    thread_name, join_seconds = "verification-settler", 10.0

    def __init__(self, services: Services, *, interval: float = 5.0) -> None:
        super().__init__()
        self.services = services
        self.interval = interval
        self.verification = Verification(services)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except (ChainError, StoreError, ApiError) as exc:  # the node away: next time
                log.warning("settling verified epochs failed: %s", exc)
            except Exception:
                log.exception("settling verified epochs failed")

    def tick(self) -> list[int]:
        """Settle what is due now; returns the epochs it pushed a transaction for (on any
        track)."""
        if self.verification.address() is None:
            return []
        settled: set[int] = set()
        for track in TRACKS:
            if self.verification.address(track) is not None:
                settled.update(self._tick(track))
        return sorted(settled)

    def _tick(self, track: str) -> list[int]:
        verification = self.verification
        reader = verification.reader(track)
        current = int(self.services.system.ledger.functions.currentEpoch().call())
        now = reader.now()
        settled = []
        # Windows of E lie in E+1 (and at most the start of E+2), and E's credit window ends with
        # the ledger epoch holding its reveal close: only the two previous epochs can be due.
        for epoch in range(max(current - 2, 0), current):
            windows = reader.windows(epoch)
            if not windows.reveal_closes <= now < windows.credit_closes:
                continue
            tally = reader.tally(epoch)
            # the Poseidon instance holds no ledger role: it credits nobody, so only finalise it
            pays = track == "state"
            due = (tally.outcome is Outcome.OPEN and tally.reveals > 0) or (
                pays and tally.outcome is Outcome.FINALIZED and tally.unsettled > 0
            )
            if not due:
                continue
            with minter_signing(self.services.engine):
                client = verification._client(verification._sender(), track)
                done = settle_epoch(client, epoch)
            log.info("settled verified epoch %s (%s root): %s", epoch, track, done)
            settled.append(epoch)
        return settled
