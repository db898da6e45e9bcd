"""Building the signed structs the ledger's relay functions take (claims, reports, endorsements)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_keys import keys
from eth_utils import to_checksum_address

from credit.chain.eip712 import (
    ClaimFields,
    CompactSignature,
    Domain,
    claim_digest,
    claim_message,
    confirmation_digest,
    report_digest,
    sign_digest,
)

NO_DEADLINE = 2**48 - 1
ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class Claim:
    """A resident's claim of participation, as signed (see ``Claim`` in CreditLedger)."""

    resident: str
    category: int
    units: int
    occurred_at: int
    nonce: int
    evidence: bytes = ZERO32
    deadline: int = NO_DEADLINE

    def fields(self) -> ClaimFields:
        """The fields in the order of the EIP-712 struct."""
        return (
            self.resident,
            self.category,
            self.units,
            self.occurred_at,
            self.evidence,
            self.nonce,
            self.deadline,
        )

    def message(self) -> dict[str, object]:
        return claim_message(self.fields())

    def record_id(self, domain: Domain) -> bytes:
        """The claim's EIP-712 digest, which is also its record id on chain."""
        return claim_digest(domain, self.fields())

    def as_signed(self, sig: CompactSignature) -> tuple[object, ...]:
        """The ``SignedClaim`` tuple for ``relayClaims``: the fields and ``sig`` in the order of
        the ledger's signed tuples."""
        fields = (self.category, self.units, self.occurred_at, self.deadline, self.nonce)
        return (to_checksum_address(self.resident), *fields, self.evidence, sig.r, sig.vs)


@dataclass(frozen=True)
class Report(Claim):
    """An official's report of a violation (see ``Report`` in CreditLedger): a claim about
    ``resident`` that ``reporter`` signs."""

    reporter: str = field(kw_only=True)

    def message(self) -> dict[str, object]:
        return {"reporter": to_checksum_address(self.reporter), **super().message()}

    def record_id(self, domain: Domain) -> bytes:
        """The report's EIP-712 digest, which is also the violation's record id on chain."""
        return report_digest(domain, self.reporter, self.fields())

    def as_signed(self, sig: CompactSignature) -> tuple[object, ...]:
        """The ``SignedReport`` tuple for ``relayReports``."""
        return (to_checksum_address(self.reporter), *super().as_signed(sig))


def address_of(private_key: bytes) -> str:
    return str(keys.PrivateKey(private_key).public_key.to_checksum_address())


def sign_claim(private_key: bytes, claim: Claim, domain: Domain) -> tuple[object, ...]:
    """Sign ``claim`` as its resident and return the ``SignedClaim`` tuple."""
    return claim.as_signed(sign_digest(private_key, claim.record_id(domain)))


def sign_report(private_key: bytes, report: Report, domain: Domain) -> tuple[object, ...]:
    return report.as_signed(sign_digest(private_key, report.record_id(domain)))


@dataclass(frozen=True)
class Endorser:
    """An evaluator's key, the kind it confirms as and which records of a batch it confirms."""

    private_key: bytes
    kind: int
    indices: Sequence[int] | None = None  # None = every record of the batch

    @property
    def address(self) -> str:
        return address_of(self.private_key)


def endorsement_digest(
    domain: Domain, record_ids: Sequence[bytes], kind: int, deadline: int
) -> bytes:
    """What an evaluator signs to confirm ``record_ids`` (in batch order) as ``kind``."""
    return confirmation_digest(domain, record_ids, kind, deadline)


def endorse(
    domain: Domain,
    record_ids: Sequence[bytes],
    endorsers: Sequence[Endorser],
    deadline: int = NO_DEADLINE,
) -> list[tuple[object, ...]]:
    """``Endorsement`` tuples for a batch, sorted by evaluator address as the contract requires."""
    out: list[tuple[str, tuple[object, ...]]] = []
    for e in endorsers:
        indices = range(len(record_ids)) if e.indices is None else sorted(set(e.indices))
        mask = sum(1 << i for i in indices)
        chosen = [record_ids[i] for i in indices]
        sig = sign_digest(e.private_key, endorsement_digest(domain, chosen, e.kind, deadline))
        out.append((e.address.lower(), (e.kind, deadline, mask, sig.r, sig.vs)))
    out.sort(key=lambda pair: int(pair[0], 16))
    return [t for _, t in out]


# PackedClaim.sol's layout (the auditor reads it back in credit/audit/decoding.py).
CLAIM_BYTES, ENDORSEMENT_BYTES = 136, 71


def pack_claim(signed: Sequence[Any], endorsements: Sequence[Sequence[Any]]) -> bytes:
    """The ``relayClaimPacked`` argument: a ``SignedClaim`` tuple and its ``Endorsement`` tuples
    (each with mask 1) back to back without ABI padding (layout in ``PackedClaim.sol``)."""
    resident, category, units, occurred_at, deadline, nonce, evidence, r, vs = signed
    out = bytearray(bytes.fromhex(str(resident)[2:]))
    for value, width in ((category, 2), (units, 2), (occurred_at, 6), (deadline, 6), (nonce, 4)):
        out += int(value).to_bytes(width, "big")
    out += bytes(evidence) + bytes(r) + bytes(vs)
    for kind, e_deadline, mask, e_r, e_vs in endorsements:
        if mask != 1:
            raise ValueError(
                f"a packed claim's endorsements confirm its one record (mask 1), not {mask}"
            )
        out += int(kind).to_bytes(1, "big") + int(e_deadline).to_bytes(6, "big")
        out += bytes(e_r) + bytes(e_vs)
    return bytes(out)
