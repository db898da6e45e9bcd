"""Who reported a relayed violation and who confirmed it, read back from its transaction.

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
    return report_digest(
        domain,
        r["reporter"],
        r["resident"],
        int(r["category"]),
        int(r["units"]),
        int(r["occurredAt"]),
        bytes(r["evidence"]),
        int(r["nonce"]),
        int(r["deadline"]),
    )
