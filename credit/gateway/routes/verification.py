"""Verification from the browser: what to replay, each epoch's ballots, and relayed commit-reveal.

Public and anonymous: the reads show only what is on chain, and the writes carry their authority
in the body (the resident's EIP-712 signature of a commitment; for a reveal, the root and salt
that open the resident's own commitment). The gateway pays the gas (see
:mod:`credit.gateway.verification`), so the writes are rate-limited per client address.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from credit.chain.verifier_epochs import EpochStatus
from credit.gateway.deps import ServicesDep, app_singleton, client_wait
from credit.gateway.ratelimit import RateLimited
from credit.gateway.responses import RELAY_ERRORS, SIGNED_RELAY_ERRORS
from credit.gateway.routes._route import Routes
from credit.gateway.routes.public import limit_public_reads
from credit.gateway.services import Services
from credit.gateway.verification import Verification

routes = Routes(tags=["verification"])
HEX32 = r"^0x[0-9a-fA-F]{64}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
EPOCH_MAX = 2**24  # uint24
# Which root: the keccak state root, or private proofs' Poseidon credit root (its own instance).
Track = Literal["state", "poseidon"]


class VerificationOut(BaseModel):
    """Where a browser replays the ledger from and whom it verifies with."""

    verifier: str | None  # the EpochVerifier, or None when none is deployed
    # private proofs (None without them): the Poseidon-root EpochVerifier, and the registry whose
    # identity commitments (up to the epoch's last block) make the Poseidon tree's leaves
    poseidon_verifier: str | None = None
    identity_registry: str | None = None
    chain_id: int
    category: int  # the automated category verifiers earn
    quorum: int  # fewest residents who must reveal the winning root
    epoch_length: int  # seconds
    genesis: int  # unix seconds of epoch 0's start
    current_epoch: int
    ledger: str
    rule_book: str
    start_block: int  # the deployment's first block: a replay reads logs from here


class RootCount(BaseModel):
    root: str
    count: int


class VerifierBallot(BaseModel):
    address: str
    committed: bool
    revealed: bool
    root: str | None  # the revealed root
    agreed: bool | None  # with the final root; None until one is final or if not revealed
    credited: bool  # settled and paid one unit of the verification category


class EpochOut(BaseModel):
    """One epoch's verification: phase, windows (unix seconds), roots and every ballot."""

    epoch: int
    phase: Literal["open", "committing", "revealing", "finalising", "finalised", "no_consensus"]
    commit_opens: int
    reveal_opens: int
    reveal_closes: int
    credit_closes: int
    quorum: int
    reveals: int
    root: str | None  # the finalised root
    roots: list[RootCount]
    verifiers: list[VerifierBallot]
    verifier: str
    chain_id: int


class CommitIn(BaseModel):
    """``Commit(uint24 epoch, bytes32 commitment, uint256 deadline)`` signed by ``resident``
    (EIP-712 domain "EpochVerifier", version "1", this chain, the verifier), with
    ``commitment = keccak256(abi.encode(root, salt, resident))``."""

    model_config = ConfigDict(extra="forbid")
    epoch: int = Field(ge=0, lt=EPOCH_MAX)
    resident: str = Field(pattern=ADDRESS)
    commitment: str = Field(pattern=HEX32)
    deadline: int = Field(ge=0, lt=2**256)
    # 65 bytes (r, s, v) from a wallet; a contract account's ERC-1271 signature may be longer
    signature: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){1,1024}$")
    # the instance: its address is the signed domain's verifyingContract
    track: Track = "state"


class RevealIn(BaseModel):
    """The root and salt of ``resident``'s commitment, sent in the epoch's reveal window."""

    model_config = ConfigDict(extra="forbid")
    epoch: int = Field(ge=0, lt=EPOCH_MAX)
    resident: str = Field(pattern=ADDRESS)
    root: str = Field(pattern=HEX32)
    salt: str = Field(pattern=HEX32)
    track: Track = "state"


class TxOut(BaseModel):
    tx_hash: str


# --------------------------------------------------------------------------------- helpers
def _verification(request: Request, services: Services) -> Verification:
    found: Verification = app_singleton(request, "verification", lambda: Verification(services))
    return found


def _rate_limit(request: Request, services: ServicesDep) -> None:
    """The gateway pays the gas of these writes: at most ``verification_writes_per_minute`` per
    client address (behind a proxy, uvicorn's ``--proxy-headers`` gives the real one)."""
    per_minute = services.settings.verification_writes_per_minute
    wait = client_wait(request, "verification_limiter", per_minute)
    if wait is not None:
        raise RateLimited("verification requests from this address", wait)


Limited = Depends(_rate_limit)
# Each epoch read makes several chain reads, logs among them: public reads share one budget.
PublicRead = Depends(limit_public_reads)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def _epoch_out(status: EpochStatus, verifier: str, chain_id: int) -> EpochOut:
    w = status.windows
    return EpochOut(
        epoch=status.epoch,
        phase=status.phase,
        commit_opens=w.commit_opens,
        reveal_opens=w.reveal_opens,
        reveal_closes=w.reveal_closes,
        credit_closes=w.credit_closes,
        quorum=status.quorum,
        reveals=status.tally.reveals,
        root=_hex(status.final_root),
        roots=[RootCount(root="0x" + r.hex(), count=n) for r, n in status.roots],
        verifiers=[
            VerifierBallot(
                address=b.address,
                committed=b.committed,
                revealed=b.revealed,
                root=_hex(b.root),
                agreed=b.agreed,
                credited=b.credited,
            )
            for b in status.ballots
        ],
        verifier=verifier,
        chain_id=chain_id,
    )


# ---------------------------------------------------------------------------------- routes
@routes.get("/verification", dependencies=[PublicRead], errors=(429, 503))
def verification(request: Request, services: ServicesDep) -> VerificationOut:
    """The verifier, the ledger's schedule and where to start reading logs (public)."""
    return VerificationOut(**_verification(request, services).overview())


@routes.get("/verification/epochs/{epoch}", dependencies=[PublicRead], errors=(404, 422, 429, 503))
def verification_epoch(
    request: Request,
    epoch: Annotated[int, Path(ge=0, lt=EPOCH_MAX)],
    services: ServicesDep,
    track: Annotated[Track, Query(description="state root, or Poseidon credit root")] = "state",
) -> EpochOut:
    """An epoch's phase, windows, revealed roots and each verifier's ballot, agreement and credit
    (public), on the track's instance. 404 ``no_verifier`` when none is deployed."""
    found = _verification(request, services)
    status = found.epoch(epoch, track)
    return _epoch_out(status, str(found.address(track)), int(services.system.record.chain_id))


@routes.post(
    "/verification/commits", status_code=202, dependencies=[Limited], errors=SIGNED_RELAY_ERRORS
)
def relay_commit(request: Request, body: CommitIn, services: ServicesDep) -> TxOut:
    """Relay a resident's signed commitment to the verifier (the gateway pays the gas).

    The signature is checked first. Errors: 400/403 ``bad_signature``, 422 ``expired``, 409
    ``outside_window``, 409 ``already_committed``, 403 ``not_resident``, 422
    ``invalid_commitment``, 404 ``no_verifier``, 429 ``rate_limited``.
    """
    tx_hash = _verification(request, services).commit(
        body.epoch,
        body.resident,
        bytes.fromhex(body.commitment[2:]),
        body.deadline,
        bytes.fromhex(body.signature[2:]),
        body.track,
    )
    return TxOut(tx_hash=tx_hash)


@routes.post("/verification/reveals", status_code=202, dependencies=[Limited], errors=RELAY_ERRORS)
def relay_reveal(request: Request, body: RevealIn, services: ServicesDep) -> TxOut:
    """Relay a resident's reveal (root and salt) to the verifier (the gateway pays the gas).

    Errors: 409 ``outside_window``, 409 ``not_committed``, 409 ``already_revealed``, 422
    ``commitment_mismatch``, 422 ``invalid_root``, 404 ``no_verifier``, 429 ``rate_limited``.
    """
    tx_hash = _verification(request, services).reveal(
        body.epoch,
        body.resident,
        bytes.fromhex(body.root[2:]),
        bytes.fromhex(body.salt[2:]),
        body.track,
    )
    return TxOut(tx_hash=tx_hash)
