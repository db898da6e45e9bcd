"""Violation reports on chain: the ledger's own checks of a report, the ``relayReports``
transaction, and the ``ViolationRecorded`` events that say which reports it booked.

A report is checked before any gas by calling ``reportViolation`` from its reporter on the
latest block (a call, never a transaction): the ledger itself answers whether the reporter is an
official, the resident was ever registered, the category is a violation in the rules in force,
and units and time fit. Those are the checks ``relayReports`` makes of each report besides its
signature and deadline, so the relay asks the one authority instead of repeating its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from credit.chain import rawtx
from credit.chain.deploy import System
from credit.errors import ContractRevert

RELAY_REPORTS_TYPES = (
    "(address,address,uint16,uint16,uint48,uint48,uint32,bytes32,bytes32,bytes32)[]",
    "(uint8,uint48,uint256,bytes32,bytes32)[]",
)
# Gas of relayReports, with the margin of relayClaims' limits: one report relayed with two
# endorsements costs about 101k (bench/results/gas.json: the report's own booking writes the
# violation's slot and the resident's word).
GAS_REPORTS_BASE = 60_000
GAS_PER_REPORT = 90_000


def report_refusal(
    system: System,
    reporter: str,
    resident: str,
    category: int,
    units: int,
    occurred_at: int,
    evidence: bytes,
) -> ContractRevert | None:
    """What the ledger would answer ``reporter`` reporting this violation now: None if it would
    take it, else its custom error (``LedgerNotOfficialReporter``, ``LedgerNotRegistered``,
    ``LedgerCategoryKindMismatch``, ``LedgerUnknownCategory``, ``LedgerInvalidUnits``,
    ``LedgerOccurredInFuture``). A call on the latest block; nothing is sent."""
    fn = system.ledger.functions.reportViolation(
        to_checksum_address(resident), category, units, occurred_at, evidence
    )
    try:
        fn.call({"from": to_checksum_address(reporter)})
    except Exception as exc:
        error = system.decoder.from_exception(exc)
        if isinstance(error, ContractRevert):
            return error
        raise error from exc
    return None


def relay_reports_gas(n_reports: int, n_endorsements: int, mask_bits: int) -> int:
    """A gas limit for relayReports that always suffices for a batch of this shape."""
    gas = (
        GAS_REPORTS_BASE
        + GAS_PER_REPORT * n_reports
        + rawtx.GAS_PER_ENDORSEMENT * n_endorsements
        + rawtx.GAS_PER_MASK_BIT * mask_bits
    )
    return min(gas, rawtx.GAS_CEILING)


def relay_reports_data(
    system: System, reports: Sequence[Sequence[Any]], endorsements: Sequence[Sequence[Any]]
) -> bytes:
    """The calldata of ``relayReports(reports, endorsements)``, for ``rawtx.sign_ledger_call``."""
    selector = rawtx.ledger_selector(system, "relayReports", RELAY_REPORTS_TYPES)
    return selector + abi_encode(list(RELAY_REPORTS_TYPES), [list(reports), list(endorsements)])


def recorded_events(system: System, receipt: rawtx.Receipt) -> list[rawtx.Credited]:
    """ViolationRecorded events of OUR ledger in ``receipt``, as bookings (``points``: the
    points the rule deducts; what was deducted is at most the balance)."""
    return [
        rawtx.Credited(
            record_id="0x" + topics[1].hex(),
            resident="0x" + topics[2][12:].hex(),
            points=words["points"],
            block=receipt.block,
            tx_hash=receipt.tx_hash,
        )
        for topics, words in rawtx.static_events(system, receipt, "ViolationRecorded")
    ]
