"""The events of the private-proof contracts, read back in chain order: the identity registry's
registrations (:func:`registrations`, :func:`identity_commitments`) and the Poseidon roots an
EpochVerifier finalised (:func:`finalized_root_events`, :func:`finalized_roots`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from web3.contract import Contract

T = TypeVar("T")


def identity_commitments(
    registry: Contract, *, to_block: int | str = "latest", from_block: int = 0
) -> dict[str, int]:
    """Every registered commitment up to ``to_block``, by lower-case resident address."""
    return {r.resident: r.commitment for r in registrations(registry, to_block, from_block)}


@dataclass(frozen=True, kw_only=True)
class Logged:
    """Where an event was logged (keyword-only, after the event's own values)."""

    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class Registration(Logged):
    """One ``IdentityRegistered`` event."""

    resident: str  # lower-case
    commitment: int

    @classmethod
    def of(cls, args: Any, **where: Any) -> Registration:
        return cls(str(args["resident"]).lower(), int(args["commitment"]), **where)


@dataclass(frozen=True)
class FinalizedRoot(Logged):
    """One ``EpochFinalized`` event of an EpochVerifier."""

    epoch: int
    root: bytes
    revealers: int

    @classmethod
    def of(cls, args: Any, **where: Any) -> FinalizedRoot:
        return cls(int(args["epoch"]), bytes(args["root"]), int(args["revealers"]), **where)


def _events(event: Any, build: Callable[..., T], to_block: int | str, from_block: int) -> list[T]:
    """Every log of ``event`` in ``from_block..to_block``, in chain order, each built as
    ``build(args, block_number=, log_index=, tx_hash=)``."""
    logs = event.get_logs(from_block=from_block, to_block=to_block)
    return [
        build(
            e["args"],
            block_number=int(e["blockNumber"]),
            log_index=int(e["logIndex"]),
            tx_hash=e["transactionHash"].to_0x_hex(),
        )
        for e in sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))
    ]


def registrations(
    registry: Contract, to_block: int | str = "latest", from_block: int = 0
) -> list[Registration]:
    """Every ``IdentityRegistered`` of ``registry`` in ``from_block..to_block``, in chain order."""
    return _events(registry.events.IdentityRegistered, Registration.of, to_block, from_block)


def finalized_root_events(
    roots: Contract, to_block: int | str = "latest", from_block: int = 0
) -> list[FinalizedRoot]:
    """Every epoch ``roots`` (an EpochVerifier) finalised in ``from_block..to_block``."""
    return _events(roots.events.EpochFinalized, FinalizedRoot.of, to_block, from_block)


def finalized_roots(roots: Contract, *, from_block: int = 0) -> dict[int, int]:
    """Every epoch whose Poseidon root ``roots`` finalised, with the root (as an integer)."""
    return {
        r.epoch: int.from_bytes(r.root, "big")
        for r in finalized_root_events(roots, from_block=from_block)
    }
