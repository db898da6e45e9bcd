"""The contract's argument tuples (``SignedClaim``, ``SignedReport``, ``Endorsement``) from
stored fields: hex strings as the database keeps them, bytes as the ABI encoder takes them."""

from __future__ import annotations

from typing import TypedDict

# SignedClaim: (resident, category, units, occurredAt, deadline, nonce, evidence, r, vs)
ClaimTuple = tuple[str, int, int, int, int, int, bytes, bytes, bytes]
ReportTuple = tuple[str, str, int, int, int, int, int, bytes, bytes, bytes]  # reporter first
EndorsementTuple = tuple[int, int, int, bytes, bytes]  # kind, deadline, mask, r, vs


class SignedFields(TypedDict):
    """A claim's (or report's) signed fields and compact signature, as stored."""

    resident: str  # lower-case 0x address
    category: int
    units: int
    occurred_at: int
    evidence: str  # 0x-hex, 32 bytes
    nonce: int
    deadline: int
    r: str  # 0x-hex, 32 bytes
    vs: str  # 0x-hex, 32 bytes


class SignedEndorsement(TypedDict):
    """An endorsement's signed fields and compact signature, as stored."""

    kind: int
    deadline: int
    r: str
    vs: str


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def claim_tuple(row: SignedFields) -> ClaimTuple:
    """The ``SignedClaim`` tuple of a stored claim (the address lower-case, as stored: the ABI
    encoder takes it as it is, without a checksum's keccak per claim)."""
    return (
        row["resident"],
        row["category"],
        row["units"],
        row["occurred_at"],
        row["deadline"],
        row["nonce"],
        _bytes(row["evidence"]),
        _bytes(row["r"]),
        _bytes(row["vs"]),
    )


def report_tuple(reporter: str, row: SignedFields) -> ReportTuple:
    """The ``SignedReport`` tuple of a stored report: its reporter, then a claim's fields in a
    claim's order (``SignedReport`` is ``SignedClaim`` with the reporter first)."""
    return (reporter, *claim_tuple(row))


def endorsement_tuple(row: SignedEndorsement, mask: int) -> EndorsementTuple:
    """The ``Endorsement`` tuple of a stored endorsement at ``mask``."""
    return (row["kind"], row["deadline"], mask, _bytes(row["r"]), _bytes(row["vs"]))
