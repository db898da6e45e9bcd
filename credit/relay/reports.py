"""Accepting signed violation reports: every check the ledger would make, before any gas.

A report is an official's EIP-712 ``Report`` naming a resident (registered now or before), a
violation category, units, when it happened, an evidence commitment, a nonce that only tells
identical reports apart, and a deadline. It is stored beside the claims (``relay_claims`` with its
``reporter``) and from then on goes their way: it waits for its quorum of kinds in the officials'
confirmation queue (never the reporter's, never its resident's), confirmations reach it through
``POST /v1/confirmations``, and once its quorum is met the batcher books it with ``relayReports``.

Order of checks: shape, the rule in force and the signature (local), then the chain's time and
the ledger's own answer to this reporter reporting this (one call of ``reportViolation`` on the
latest block, never sent: :func:`credit.chain.report_tx.report_refusal`), then the database
(duplicates) under the relay's lock. Refusals are :class:`ReportRefused` with a stable code; the
API maps them to HTTP statuses (this layer knows none).
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from credit.chain import relay_reads, report_tx
from credit.chain.eip712 import report_digest
from credit.errors import CreditError
from credit.relay import records, transaction
from credit.relay.core import RelayCore
from credit.relay.hints import (
    check_deadline,
    check_deadline_within,
    require_signer,
    signature_of,
)
from credit.relay.models import ReportIn, claim_fields
from credit.relay.rows import NewClaim


class ReportRefused(CreditError):
    """A report the ledger would refuse, or one received already. ``code`` says which:
    ``not_official``, ``not_a_resident``, ``not_a_violation_category``, ``invalid_units``,
    ``invalid_signature``, ``occurred_in_future``, ``expired``, ``deadline_too_close``,
    ``deadline_too_far``, ``report_refused`` (another refusal of the ledger, named in
    ``details``) or ``duplicate_report``."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


# The ledger's custom errors for a report it would refuse, as codes of ReportRefused.
_LEDGER_CODES = {
    "LedgerNotOfficialReporter": "not_official",
    "LedgerNotRegistered": "not_a_resident",
    "LedgerCategoryKindMismatch": "not_a_violation_category",
    "LedgerUnknownCategory": "not_a_violation_category",
    "LedgerInvalidUnits": "invalid_units",
    "LedgerOccurredInFuture": "occurred_in_future",
}


def check_report(core: RelayCore, p: ReportIn) -> NewClaim:
    """The report's row, ready to store, or :class:`ReportRefused`."""
    sig = signature_of(p, "the report", ReportRefused)
    rule = core.rule_in_force(p.category)
    if rule is None or not rule.negative:
        raise ReportRefused(
            "not_a_violation_category",
            f"category {p.category} is not a violation category in the rules in force: report "
            "under one of the rule set's violation categories",
            {"category": p.category},
        )
    if p.units > rule.max_units:
        raise ReportRefused(
            "invalid_units",
            f"category {p.category} takes 1 to {rule.max_units} units per report, not {p.units}",
            {"max_units": rule.max_units},
        )
    reporter, fields = p.reporter.lower(), claim_fields(p)
    resident, evidence = fields[0], fields[4]
    digest = report_digest(core.system.domain, reporter, fields)
    domain = core.system.domain
    require_signer(domain, digest, sig, reporter, "reporter", "Report", ReportRefused)
    _check_time(core, p, relay_reads.chain_time(core.system))
    refusal = report_tx.report_refusal(
        core.system, reporter, resident, p.category, p.units, p.occurred_at, evidence
    )
    if refusal is not None:
        raise _refused(refusal.name, dict(refusal.args), p)
    row = records.signed_row("0x" + digest.hex(), resident, p, sig.r, sig.vs)
    return {**row, "reporter": reporter}


def _check_time(core: RelayCore, p: ReportIn, now: int) -> None:
    if p.occurred_at > now:
        raise ReportRefused(
            "occurred_in_future", f"occurred_at {p.occurred_at} is after now ({now})"
        )
    margin, then = core.deadline_margin, "gather confirmations and relay it"
    check_deadline(p.deadline, now, margin, ReportRefused, then)
    check_deadline_within(p.deadline, now, core.max_deadline, "report", ReportRefused)


def _refused(name: str, args: dict[str, Any], p: ReportIn) -> ReportRefused:
    code = _LEDGER_CODES.get(name, "report_refused")
    messages = {
        "not_official": f"{to_checksum_address(p.reporter)} holds no official evaluator role "
        "(superior, expert or public panel): only officials report violations",
        "not_a_resident": f"{to_checksum_address(p.resident)} has never been a registered "
        "resident: a report names a resident registered now or before",
        "not_a_violation_category": f"category {p.category} is not a violation category",
        "invalid_units": f"category {p.category} does not take {p.units} units",
        "occurred_in_future": f"occurred_at {p.occurred_at} lies in the future",
    }
    message = messages.get(code, f"the ledger would refuse this report ({name})")
    return ReportRefused(code, message, {"error": name, "args": args})


def store_report(core: RelayCore, row: NewClaim) -> None:
    """Store a checked report as ``waiting``; :class:`ReportRefused` ``duplicate_report`` if
    this very report (same record id) was received already."""
    with transaction.write(core) as conn:
        existing = records.claim_rows(conn, [row["record_id"]])
        if existing:
            raise ReportRefused(
                "duplicate_report",
                "this report was already received: it waits for confirmations or was decided",
                {"record_id": row["record_id"], "status": existing[row["record_id"]]["status"]},
            )
        records.insert_claims(conn, [row])
