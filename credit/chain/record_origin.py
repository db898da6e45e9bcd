"""Who reported or claimed a relayed record and who confirmed it, read back from its transaction.

A relayed record names its evaluators only in the transaction's calldata (see ``RecordCredited``
in ICreditLedger.sol): each endorsement's signer is recovered from its ``Confirmation`` over the
records its mask selects, exactly as the ledger did. Used to show an arbiter the report behind an
appeal; the index has the events, not the calldata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit.chain.deploy import System
from credit.chain.eip712 import CompactSignature, report_digest
from credit.chain.recover import confirmation_signer
from credit.chain.signing import CLAIM_BYTES, ENDORSEMENT_BYTES, Claim


@dataclass(frozen=True)
class ReportOrigin:
    """The report behind a violation and the evaluators whose confirmations booked it."""

    reporter: str
    occurred_at: int
    evidence: bytes
    confirmations: tuple[tuple[str, int], ...]  # (evaluator, EvaluatorKind), in calldata order


def relayed_report(system: System, tx_hash: str, record_id: bytes) -> ReportOrigin | None:
    """The report ``record_id`` in the ``relayReports`` transaction ``tx_hash``; None if that
    transaction is no ``relayReports`` call carrying it (a direct report: read its events)."""
    tx = system.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    try:
        fn, args = system.ledger.decode_function_input(tx["input"])
    except ValueError:
        return None
    if fn.fn_name != "relayReports":
        return None
    domain = system.domain
    ids = [_report_id(domain, r) for r in args["reports"]]
    if record_id not in ids:
        return None
    index = ids.index(record_id)
    report = args["reports"][index]
    confirmations: list[tuple[str, int]] = []
    for e in args["endorsements"]:
        mask = int(e["mask"])
        if not mask >> index & 1:
            continue
        selected = [rid for i, rid in enumerate(ids) if mask >> i & 1]
        sig = CompactSignature(bytes(e["r"]), bytes(e["vs"]))
        signer = confirmation_signer(domain, selected, int(e["kind"]), int(e["deadline"]), sig)
        if signer is not None:
            confirmations.append((signer, int(e["kind"])))
    return ReportOrigin(
        reporter=str(report["reporter"]),
        occurred_at=int(report["occurredAt"]),
        evidence=bytes(report["evidence"]),
        confirmations=tuple(confirmations),
    )


def _report_id(domain: Any, r: dict[str, Any]) -> bytes:
    return report_digest(domain, r["reporter"], _claim_of(r).fields())


@dataclass(frozen=True)
class RecordOrigin:
    """When a relayed record's activity took place and whose confirmations booked it."""

    occurred_at: int
    reporter: str | None  # a violation's reporter; None for a claim
    confirmations: tuple[tuple[str, int], ...]  # (evaluator, EvaluatorKind), in calldata order


def relayed_record(system: System, tx_hash: str, record_id: bytes) -> RecordOrigin | None:
    """The claim or report ``record_id`` as its relay transaction ``tx_hash`` carries it; None if
    the transaction does not carry it (a direct record: its events name everything)."""
    return relayed_records(system, tx_hash).get(record_id)


def relayed_records(system: System, tx_hash: str) -> dict[bytes, RecordOrigin]:
    """Every claim or report a ``relayClaims``, ``relayClaimPacked`` or ``relayReports``
    transaction carries, by record id, with the evaluators whose endorsements select it (one
    signature recovery per endorsement, as the ledger does); empty for any other transaction."""
    tx = system.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    try:
        fn, args = system.ledger.decode_function_input(tx["input"])
    except ValueError:
        return {}
    domain = system.domain
    reporters: list[str | None]
    if fn.fn_name == "relayReports":
        ids = [_report_id(domain, r) for r in args["reports"]]
        occurred = [int(r["occurredAt"]) for r in args["reports"]]
        reporters = [str(r["reporter"]) for r in args["reports"]]
        ends = [_endorsement(e) for e in args["endorsements"]]
    elif fn.fn_name == "relayClaims":
        claims = [_claim_of(c) for c in args["claims"]]
        ids = [c.record_id(domain) for c in claims]
        occurred, reporters = [c.occurred_at for c in claims], [None] * len(claims)
        ends = [_endorsement(e) for e in args["endorsements"]]
    elif fn.fn_name == "relayClaimPacked":
        unpacked = _unpack_claim(bytes(args["packed"]))
        if unpacked is None:
            return {}
        claim, ends = unpacked
        ids, occurred, reporters = [claim.record_id(domain)], [claim.occurred_at], [None]
    else:
        return {}
    confirmations: list[list[tuple[str, int]]] = [[] for _ in ids]
    for kind, deadline, mask, r, vs in ends:
        selected = [rid for i, rid in enumerate(ids) if mask >> i & 1]
        signer = confirmation_signer(domain, selected, kind, deadline, CompactSignature(r, vs))
        if signer is None:
            continue
        for i in range(len(ids)):
            if mask >> i & 1:
                confirmations[i].append((signer, kind))
    return {
        rid: RecordOrigin(occurred[i], reporters[i], tuple(confirmations[i]))
        for i, rid in enumerate(ids)
    }


def _endorsement(e: dict[str, Any]) -> tuple[int, int, int, bytes, bytes]:
    return int(e["kind"]), int(e["deadline"]), int(e["mask"]), bytes(e["r"]), bytes(e["vs"])


def _claim_of(c: dict[str, Any]) -> Claim:
    return Claim(
        str(c["resident"]),
        int(c["category"]),
        int(c["units"]),
        int(c["occurredAt"]),
        int(c["nonce"]),
        bytes(c["evidence"]),
        int(c["deadline"]),
    )


# PackedClaim.sol: resident 20, category 2, units 2, occurredAt 6, deadline 6, nonce 4,
# evidence 32, r 32, vs 32; then per endorsement: kind 1, deadline 6, r 32, vs 32 (mask 1).
_CLAIM_BYTES, _ENDORSEMENT_BYTES = CLAIM_BYTES, ENDORSEMENT_BYTES


def _unpack_claim(
    packed: bytes,
) -> tuple[Claim, list[tuple[int, int, int, bytes, bytes]]] | None:
    count, rest = divmod(len(packed) - _CLAIM_BYTES, _ENDORSEMENT_BYTES)
    if len(packed) < _CLAIM_BYTES or rest:
        return None

    def num(a: int, b: int) -> int:
        return int.from_bytes(packed[a:b], "big")

    claim = Claim(
        "0x" + packed[0:20].hex(),
        num(20, 22),
        num(22, 24),
        num(24, 30),
        num(36, 40),
        packed[40:72],
        num(30, 36),
    )
    ends = []
    for j in range(count):
        e = packed[_CLAIM_BYTES + _ENDORSEMENT_BYTES * j :][:_ENDORSEMENT_BYTES]
        ends.append((e[0], int.from_bytes(e[1:7], "big"), 1, e[7:39], e[39:71]))
    return claim, ends
