"""Request bodies of the relay: a resident's signed claim and an evaluator's signed confirmation.

Unknown fields are refused (422). A signature is either 65-byte ``signature`` hex (r || s || v, as
wallets return it) or the EIP-2098 pair ``r`` / ``vs``, never both.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from credit.chain.eip712 import CompactSignature
from credit.chain.recover import compact_from_hex, compact_from_parts

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
HEX32 = r"^0x[0-9a-fA-F]{64}$"
HEX65 = r"^0x[0-9a-fA-F]{130}$"
ZERO32 = "0x" + "00" * 32
UINT48 = 2**48 - 1
RecordId = Annotated[str, Field(pattern=HEX32)]


# "`signature`, or both `r` and `vs`", as JSON Schema (what _Signed._one_signature checks)
ONE_SIGNATURE: dict[str, Any] = {
    "oneOf": [
        {"required": ["signature"], "not": {"anyOf": [{"required": ["r"]}, {"required": ["vs"]}]}},
        {"required": ["r", "vs"], "not": {"required": ["signature"]}},
    ]
}


class _Signed(BaseModel):
    # strict: JSON `false` is not the number 0, nor "1" the number 1
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, json_schema_extra=ONE_SIGNATURE
    )

    # absent, never null: the schema's types say string (SkipJsonSchema hides the None)
    signature: Annotated[str, Field(pattern=HEX65)] | SkipJsonSchema[None] = Field(
        default=None, description="65-byte r||s||v (or give `r` and `vs`)"
    )
    r: Annotated[str, Field(pattern=HEX32)] | SkipJsonSchema[None] = Field(
        default=None, description="EIP-2098 r"
    )
    vs: Annotated[str, Field(pattern=HEX32)] | SkipJsonSchema[None] = Field(
        default=None, description="EIP-2098 vs"
    )

    @model_validator(mode="after")
    def _one_signature(self) -> _Signed:
        compact = self.r is not None and self.vs is not None
        given_null = {"signature", "r", "vs"} & self.model_fields_set
        if any(getattr(self, name) is None for name in given_null):
            raise ValueError("leave out `signature`, `r` or `vs` rather than sending null")
        if (self.signature is None) == (not compact) or (self.r is None) != (self.vs is None):
            raise ValueError("give either `signature` (65 bytes) or both `r` and `vs`")
        return self

    def compact(self) -> CompactSignature:
        """The signature in EIP-2098 form (SignatureFormatError if the contract would refuse
        it whatever it signs)."""
        if self.signature is not None:
            return compact_from_hex(self.signature)
        assert self.r is not None and self.vs is not None
        return compact_from_parts(self.r, self.vs)


class _ClaimBody(BaseModel):
    """The fields a claim and a report share. Listed first among a model's bases, so that its
    fields come after those of the bases that follow it (pydantic orders by the reversed MRO)."""

    resident: str = Field(pattern=ADDRESS)
    category: int = Field(ge=1, le=65535)
    units: int = Field(ge=1, le=65535)
    occurred_at: int = Field(ge=0, le=UINT48)
    evidence: str = Field(default=ZERO32, pattern=HEX32)
    nonce: int = Field(ge=0, le=2**32 - 1)
    deadline: int = Field(ge=0, le=UINT48)


class ClaimIn(_ClaimBody, _Signed):
    """A claim as the resident signed it (EIP-712 ``Claim``), plus the signature."""


class ConfirmationIn(_Signed):
    """An evaluator's EIP-712 ``Confirmation`` over record ids sorted ascending."""

    evaluator: str = Field(pattern=ADDRESS)
    records: list[RecordId] = Field(min_length=1, max_length=256)
    kind: int = Field(
        ge=0, le=3, description="EvaluatorKind: 0 SUPERIOR, 1 PEER, 2 PUBLIC, 3 EXPERT"
    )
    deadline: int = Field(ge=0, le=UINT48)


MAX_CLAIMS_PER_REQUEST = 500  # ~215 KB of JSON: under the default 256 KiB body limit


class ClaimsIn(BaseModel):
    """Claims signed by their residents, uploaded together (a kiosk's or an organiser's app).

    Each claim is checked on its own, exactly as ``POST /v1/claims`` checks it; a resident's
    claims in one request may use consecutive nonces (in any order).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    claims: list[ClaimIn] = Field(min_length=1, max_length=MAX_CLAIMS_PER_REQUEST)


class _Reporter(BaseModel):
    reporter: str = Field(pattern=ADDRESS)


class ReportIn(_ClaimBody, _Reporter, _Signed):
    """A violation report as its official signed it (EIP-712 ``Report``), plus the signature.

    ``resident``: registered now or before. ``category``: a violation category of the rules in
    force. ``nonce``: any number, to tell otherwise identical reports apart (not the reporter's
    account nonce). ``evidence``: the commitment ``POST /v1/evidence`` returned, or zero."""


def claim_fields(p: _ClaimBody) -> tuple[str, int, int, int, bytes, int, int]:
    """The fields a claim and a report share, as the EIP-712 digests take them: resident
    (lower-case), category, units, occurred_at, evidence (bytes), nonce, deadline."""
    evidence = bytes.fromhex(p.evidence[2:])
    return (p.resident.lower(), p.category, p.units, p.occurred_at, evidence, p.nonce, p.deadline)


# Why an evaluator rejects a claim: the index is the ``reason`` the evaluator signs (uint8).
REJECTION_REASONS = ("did_not_happen", "wrong_amount", "wrong_date", "not_enough_evidence", "other")
RejectionReason = Literal[
    "did_not_happen", "wrong_amount", "wrong_date", "not_enough_evidence", "other"
]
MAX_NOTE_CHARS = 500


class RejectionIn(_Signed):
    """An evaluator's EIP-712 ``Rejection`` of one held claim: the record id (the path), the kind
    the evaluator acts as, the reason's index in :data:`REJECTION_REASONS`, and the keccak-256 of
    ``note`` (UTF-8) as ``note``."""

    evaluator: str = Field(pattern=ADDRESS)
    kind: int = Field(
        ge=0, le=3, description="EvaluatorKind: 0 SUPERIOR, 1 PEER, 2 PUBLIC, 3 EXPERT"
    )
    reason: RejectionReason
    note: str = Field(
        default="",
        max_length=MAX_NOTE_CHARS,
        description="what the resident should know (shown to them); its keccak-256 is signed",
    )
