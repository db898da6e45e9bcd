"""The signed transaction that relays a planned batch: ``relayReports`` for violation reports,
``relayClaimPacked`` for a lone claim (the same booking for less gas), ``relayClaims`` otherwise,
each with the gas its size needs. Built from the stored rows; nothing is stored or sent here
(:mod:`credit.relay.outbox` does both)."""

from __future__ import annotations

from collections.abc import Mapping

from eth_account.signers.local import LocalAccount

from credit.chain import claim_tuples, rawtx, report_tx
from credit.chain.deploy import System
from credit.relay.plan import Batch
from credit.relay.rows import ClaimRow, EndorsementRow


def sign_batch(
    system: System,
    account: LocalAccount,
    batch: Batch,
    rows: Mapping[str, ClaimRow],
    ends: Mapping[int, EndorsementRow],
    nonce: int,
    fees: dict[str, int],
) -> tuple[bytes, str]:
    """The raw signed transaction of ``batch`` at ``nonce`` and ``fees``, and its hash."""
    ids = [c.record_id for c in batch.claims]
    endorsements = [
        claim_tuples.endorsement_tuple(ends[p.endorsement.id], p.mask) for p in batch.endorsements
    ]
    signatures = sum(bin(p.mask).count("1") for p in batch.endorsements)
    if batch.claims[0].reporter is not None:  # violation reports: a batch holds no claim
        gas = report_tx.relay_reports_gas(len(ids), len(endorsements), signatures)
        reports = [_report(rows[i]) for i in ids]
        data = report_tx.relay_reports_data(system, reports, endorsements)
    elif len(ids) == 1:  # a lone claim: relayClaimPacked, the same booking for less gas
        gas = rawtx.packed_relay_gas(len(endorsements))
        claim = claim_tuples.claim_tuple(rows[ids[0]])
        data = rawtx.relay_claim_packed_data(system, claim, endorsements)
    else:
        gas = rawtx.relay_gas(len(ids), len(endorsements), signatures)
        claims = [claim_tuples.claim_tuple(rows[i]) for i in ids]
        data = rawtx.relay_claims_data(system, claims, endorsements)
    return rawtx.sign_ledger_call(system, account, data, nonce, gas, fees)


def _report(row: ClaimRow) -> claim_tuples.ReportTuple:
    """The ``SignedReport`` tuple of a stored report (a batch of reports holds reports only)."""
    assert row["reporter"] is not None
    return claim_tuples.report_tuple(row["reporter"], row)
