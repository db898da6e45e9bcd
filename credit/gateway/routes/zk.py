"""Private proofs: the contracts and gates, each finalised epoch's Poseidon leaves, and relayed
identity registrations and gate passes.

Public and anonymous, like verification: the reads show only what is on chain (and what anyone
can recompute from it), and the writes carry their authority in the body (the resident's EIP-712
signature of their commitment; for a pass, the zero-knowledge proof bound to its recipient). The
gateway pays the gas (:mod:`credit.gateway.zk`), so writes are rate-limited per client address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from credit.chain.zk import REGISTER_TYPES
from credit.gateway.deps import ServicesDep, app_singleton, client_wait
from credit.gateway.errors import ApiError
from credit.gateway.ratelimit import retry_after_header
from credit.gateway.responses import ADDRESS, RELAY_ERRORS, SIGNED_RELAY_ERRORS, AddressPath
from credit.gateway.routes._route import Routes
from credit.gateway.routes.public import limit_public_reads
from credit.gateway.services import Services
from credit.gateway.zk import PrivateProofsService
from credit.zk.inputs import PUBLIC_SIGNALS, Statement
from credit.zk.poseidon import FIELD

routes = Routes(prefix="/zk", tags=["private proofs"])
EPOCH_MAX = 2**24  # uint24
DECIMAL = r"^[0-9]{1,78}$"  # a field element or uint256 as a decimal string
HEX = r"^0x([0-9a-fA-F]{2}){1,1024}$"


class GateOut(BaseModel):
    """A gate this gateway relays passes to."""

    address: str
    name: str = Field(description="what the service calls it, e.g. 'city library: credit ≥ 50'")
    label: str = Field(description="the on-chain label its scope binds, e.g. 'library-2027-Q1'")
    threshold: int
    scope: str = Field(description="decimal: the public signal a proof for this gate carries")


class FinalisedEpoch(BaseModel):
    epoch: int
    root: str = Field(description="the finalised Poseidon root, 0x + 64 hex")


class ZkOut(BaseModel):
    """What a prover page needs: contracts, gates, finalised epochs, the registration's types."""

    chain_id: int
    chain_time: int = Field(description="the latest block's time: sign deadlines from it")
    identity_registry: str
    poseidon_roots: str = Field(description="the EpochVerifier instance of Poseidon roots")
    verifier: str = Field(description="the Groth16 verifier of circuits/credit_at_least.circom")
    gates: list[GateOut]
    finalised_epochs: list[FinalisedEpoch] = Field(description="newest first")
    register_types: dict[str, list[dict[str, str]]] = Field(
        description="eth_signTypedData_v4 types of RegisterIdentity (domain: name "
        "'IdentityRegistry', version '1', this chain, the registry)"
    )


class Leaf(BaseModel):
    commitment: str = Field(description="decimal identity commitment Poseidon(secret)")
    credit: str = Field(description="decimal credit at the end of the epoch (0..2^64-1)")


class LeavesOut(BaseModel):
    """Every leaf of a finalised epoch's Poseidon tree, in tree order (ascending commitment)."""

    epoch: int
    root: str = Field(description="the finalised Poseidon root, 0x + 64 hex; the leaves' root")
    as_of_block: int = Field(description="the epoch's last block: commitments registered by it")
    leaves: list[Leaf]


class IdentityOut(BaseModel):
    resident: str
    commitment: str | None = Field(description="decimal, or None when none is registered")


class RegisterIn(BaseModel):
    """``RegisterIdentity(address resident, uint256 commitment, uint256 deadline)`` signed by
    ``resident`` (EIP-712 domain "IdentityRegistry", version "1", this chain, the registry)."""

    model_config = ConfigDict(extra="forbid")
    resident: str = Field(pattern=ADDRESS)
    commitment: str = Field(pattern=DECIMAL)
    deadline: int = Field(ge=0, lt=2**256)
    signature: str = Field(pattern=HEX)


class ProofIn(BaseModel):
    """snarkjs's Groth16 proof JSON (``pi_a``, ``pi_b``, ``pi_c`` as decimal strings)."""

    model_config = ConfigDict(extra="allow")  # snarkjs adds protocol and curve
    pi_a: list[Annotated[str, Field(pattern=DECIMAL)]] = Field(min_length=2, max_length=3)
    pi_b: list[list[Annotated[str, Field(pattern=DECIMAL)]]] = Field(min_length=2, max_length=3)
    pi_c: list[Annotated[str, Field(pattern=DECIMAL)]] = Field(min_length=2, max_length=3)


class PassIn(BaseModel):
    """A proof bundle's ``epoch``, ``public`` signals and ``proof`` (what "Prove my credit" and
    ``credit zk prove`` write): the gate's pass for the recipient the proof names."""

    model_config = ConfigDict(extra="forbid")
    epoch: int = Field(ge=0, lt=EPOCH_MAX)
    public: list[Annotated[str, Field(pattern=DECIMAL)]] = Field(
        min_length=len(PUBLIC_SIGNALS),
        max_length=len(PUBLIC_SIGNALS),
        description="root, threshold, scope, nullifier, recipient (decimal)",
    )
    proof: ProofIn


class PassOut(BaseModel):
    tx_hash: str
    gas_used: int
    gate: str
    epoch: int
    nullifier: str
    recipient: str


class NullifierOut(BaseModel):
    gate: str
    nullifier: str
    used: bool = Field(description="the gate recorded a pass with this nullifier")


class TxOut(BaseModel):
    tx_hash: str


# --------------------------------------------------------------------------------- helpers
def _service(request: Request, services: Services) -> PrivateProofsService:
    found: PrivateProofsService = app_singleton(
        request, "private_proofs", lambda: PrivateProofsService(services)
    )
    return found


def _rate_limit(request: Request, services: ServicesDep) -> None:
    """The gateway pays the gas of these writes: at most ``verification_writes_per_minute`` per
    client address, counted apart from the verification ballots."""
    per_minute = services.settings.verification_writes_per_minute
    wait = client_wait(request, "zk_limiter", per_minute)
    if wait is not None:
        seconds = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"too many private-proof requests from this address: wait {seconds} s and try again",
            {"retry_after_seconds": int(seconds)},
            headers={"Retry-After": seconds},
        )


Limited = Depends(_rate_limit)
PublicRead = Depends(limit_public_reads)


def _field(value: str, name: str) -> int:
    number = int(value)
    if number >= FIELD:
        raise ApiError(422, "invalid_request", f"{name} is not below the BN254 field order")
    return number


# ---------------------------------------------------------------------------------- routes
@routes.get("", dependencies=[PublicRead], errors=(404, 429, 503))
def private_proofs(request: Request, services: ServicesDep) -> ZkOut:
    """The private-proof contracts, the gates relayed to and the finalised epochs (public).
    404 ``no_private_proofs`` when none are deployed."""
    service = _service(request, services)
    proofs = service.proofs()
    finalised = sorted(service.finalized().items(), reverse=True)
    return ZkOut(
        chain_id=int(services.system.record.chain_id),
        chain_time=int(services.system.w3.eth.get_block("latest")["timestamp"]),
        identity_registry=str(proofs.registry.address),
        poseidon_roots=str(proofs.roots.address),
        verifier=str(proofs.verifier.address),
        gates=[
            GateOut(
                address=g.address,
                name=g.name,
                label=g.label,
                threshold=g.threshold,
                scope=str(g.scope),
            )
            for g in service.gates()
        ],
        finalised_epochs=[FinalisedEpoch(epoch=e, root=f"0x{r:064x}") for e, r in finalised],
        register_types=REGISTER_TYPES,
    )


@routes.get("/epochs/{epoch}/leaves", dependencies=[PublicRead], errors=(404, 409, 422, 429, 503))
def epoch_leaves(
    request: Request,
    epoch: Annotated[int, Path(ge=0, lt=EPOCH_MAX)],
    services: ServicesDep,
) -> LeavesOut:
    """Every Poseidon leaf (identity commitment, credit) of a finalised epoch, and its root
    (public): what a prover needs for its inclusion path. 404 ``epoch_not_finalised``, 404
    ``no_private_proofs``, 409 ``root_mismatch`` (this gateway replays another root)."""
    found = _service(request, services).leaves(epoch)
    return LeavesOut(
        epoch=found.epoch,
        root=f"0x{found.tree.root:064x}",
        as_of_block=found.as_of_block,
        leaves=[
            Leaf(commitment=str(x.commitment), credit=str(x.credit)) for x in found.tree.leaves
        ],
    )


@routes.get("/identities/{address}", dependencies=[PublicRead], errors=(404, 422, 429, 503))
def identity(request: Request, address: AddressPath, services: ServicesDep) -> IdentityOut:
    """The identity commitment the resident at ``address`` registered, if any (public: it is
    on chain)."""
    commitment = _service(request, services).commitment_of(address)
    return IdentityOut(resident=address, commitment=str(commitment) if commitment else None)


@routes.post("/identities", status_code=202, dependencies=[Limited], errors=SIGNED_RELAY_ERRORS)
def register_identity(request: Request, body: RegisterIn, services: ServicesDep) -> TxOut:
    """Relay a resident's signed identity registration (the gateway pays the gas).

    Errors: 400/403 ``bad_signature``, 422 ``expired``, 409 ``already_registered``, 409
    ``commitment_taken``, 403 ``not_resident``, 422 ``invalid_commitment``, 404
    ``no_private_proofs``, 429 ``rate_limited``.
    """
    receipt = _service(request, services).register(
        body.resident,
        _field(body.commitment, "commitment"),
        body.deadline,
        bytes.fromhex(body.signature[2:]),
    )
    return TxOut(tx_hash=receipt["transactionHash"].to_0x_hex())


@routes.post("/gates/{gate}/passes", status_code=202, dependencies=[Limited], errors=RELAY_ERRORS)
def pass_gate(request: Request, gate: AddressPath, body: PassIn, services: ServicesDep) -> PassOut:
    """Relay a proof to the gate's ``pass`` (anyone may: the proof binds its recipient).

    Errors: 409 ``unknown_root``, 409 ``nullifier_used``, 422 ``invalid_proof`` (each with the
    contract's custom error in ``details.error``), 404 ``unknown_gate``, 404
    ``no_private_proofs``, 429 ``rate_limited``.
    """
    for name, value in zip(PUBLIC_SIGNALS, body.public, strict=True):
        _field(value, name)
    statement = Statement.from_signals(body.public)
    if statement.recipient >= 2**160:
        raise ApiError(422, "invalid_request", "the recipient signal is not an address")
    service = _service(request, services)
    info = service.gate(gate)
    receipt = service.pass_gate(info, body.epoch, statement, body.proof.model_dump())
    return PassOut(
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        gas_used=int(receipt["gasUsed"]),
        gate=info.address,
        epoch=body.epoch,
        nullifier=str(statement.nullifier),
        recipient=statement.recipient_address,
    )


@routes.get(
    "/gates/{gate}/nullifiers/{nullifier}", dependencies=[PublicRead], errors=(404, 422, 429, 503)
)
def nullifier_status(
    request: Request,
    gate: AddressPath,
    nullifier: Annotated[str, Path(pattern=DECIMAL, description="decimal")],
    services: ServicesDep,
) -> NullifierOut:
    """Whether a listed gate recorded a pass with ``nullifier`` (public): what a service's check
    page adds to a valid proof. 404 ``unknown_gate``."""
    service = _service(request, services)
    info = service.gate(gate)
    used = service.nullifier_used(info, _field(nullifier, "nullifier"))
    return NullifierOut(gate=info.address, nullifier=nullifier, used=used)
