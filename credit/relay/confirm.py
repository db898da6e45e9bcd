"""Accepting an evaluator's signed confirmation of claims: the checks the ledger would make
(signature, role, deadline: :func:`check_confirmation`), then, holding the claims' row locks
(:func:`credit.relay.transaction.alongside`), those against the stored claims (open, not the
evaluator's own, relayable together, not confirmed by them already: :func:`store_confirmation`),
which also moves the claims that now meet their quorum to ``pending``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_utils import to_checksum_address

from credit.chain.claim_reads import confirmer_context
from credit.chain.eip712 import confirmation_digest
from credit.errors import Conflict, Forbidden, Unknown
from credit.relay import confirmations, pending, records, transaction
from credit.relay.core import RelayCore
from credit.relay.hints import check_deadline, require_signer, signature_of
from credit.relay.intake import invalid
from credit.relay.models import ConfirmationIn
from credit.relay.plan import PlanEndorsement
from credit.relay.rows import ClaimRow, NewEndorsement
from credit.vocabulary import KIND_NAMES


def check_confirmation(core: RelayCore, p: ConfirmationIn) -> tuple[NewEndorsement, list[str]]:
    """The endorsement row and its record ids, or a Refusal."""
    sig = signature_of(p)
    ids = [r.lower() for r in p.records]
    if ids != sorted(set(ids)):
        raise invalid(
            "records_not_sorted",
            "list the record ids once each, sorted ascending, and sign that list",
        )
    if len(ids) > core.max_records:
        raise invalid("too_many_records", f"confirm at most {core.max_records} records at once")
    evaluator = p.evaluator.lower()
    now, allowed = confirmer_context(core.system, evaluator, p.kind)
    check_deadline(p.deadline, now, core.deadline_margin)
    raw_ids = [bytes.fromhex(r[2:]) for r in ids]
    digest = confirmation_digest(core.system.domain, raw_ids, p.kind, p.deadline)
    require_signer(core.system.domain, digest, sig, evaluator, "evaluator", "Confirmation")
    if not allowed:
        raise Forbidden(
            "lacks_role",
            f"{to_checksum_address(evaluator)} may not confirm as {KIND_NAMES[p.kind]}",
            {"kind": p.kind},
        )
    row: NewEndorsement = {
        "digest": "0x" + digest.hex(),
        "evaluator": evaluator,
        "kind": p.kind,
        "deadline": p.deadline,
        "r": "0x" + sig.r.hex(),
        "vs": "0x" + sig.vs.hex(),
    }
    return row, ids


def _nonces_against_ids(found: Mapping[str, ClaimRow | None], ids: list[str]) -> list[str]:
    """Records (ids ascending) of one resident whose nonces do not ascend with their ids."""
    last: dict[str, tuple[int, str]] = {}
    crossed: list[str] = []
    for record_id in ids:
        claim = found[record_id]
        assert claim is not None  # the caller refused missing ones
        if claim["reporter"] is not None:
            continue  # a report holds no nonce
        before = last.get(claim["resident"])
        if before is not None and claim["nonce"] < before[0]:
            crossed += [before[1], record_id]
        last[claim["resident"]] = (claim["nonce"], record_id)
    return sorted(set(crossed))


@dataclass(frozen=True)
class StoredConfirmation:
    """A stored endorsement, and its claims as they are now (their rows as read before it, the
    open ones' statuses after it, and the active endorsements naming them), for the answer."""

    endorsement_id: int
    claims: list[ClaimRow]
    statuses: dict[str, str]
    active: list[PlanEndorsement]


def store_confirmation(core: RelayCore, row: NewEndorsement, ids: list[str]) -> StoredConfirmation:
    """Insert the endorsement if its records are open and not the evaluator's own or confirmed."""
    with transaction.alongside(core, claims=ids) as conn:
        rows = records.claim_rows(conn, ids)
        found = {r: rows.get(r) for r in ids}
        missing = [r for r, v in found.items() if v is None]
        if missing:
            raise Unknown(
                "not_found",
                "no claim with these record ids was received",
                {"missing": missing},
            )
        closed = {r: v["status"] for r, v in found.items() if v and v["status"] not in records.OPEN}
        if closed:
            raise Conflict(
                "record_not_open",
                "these claims are no longer waiting for confirmations",
                closed,
            )
        own = [r for r, v in found.items() if v and v["resident"] == row["evaluator"]]
        if own:
            raise Forbidden(
                "self_confirmation", "nobody confirms their own claim", {"records": own}
            )
        reported = [r for r, v in found.items() if v and v["reporter"] == row["evaluator"]]
        if reported:
            raise Forbidden(
                "self_confirmation",
                "nobody confirms a violation they reported: evaluators of other kinds do",
                {"records": reported},
            )
        if len({v["reporter"] is None for v in found.values() if v}) > 1:
            raise invalid(
                "mixed_records",
                "claims and violation reports are booked by different transactions, so one "
                "confirmation cannot name both: confirm them in separate confirmations",
                {"reports": [r for r, v in found.items() if v and v["reporter"] is not None]},
            )
        crossed = _nonces_against_ids(found, ids)
        if crossed:
            raise invalid(
                "unrelayable_records",
                "a resident's claims run in nonce order in a batch, and batches run in record id "
                "order, so these claims of one resident can never be relayed together: confirm "
                "them in separate confirmations",
                {"records": crossed},
            )
        named = confirmations.naming(conn, ids, ("active", "used"))
        wanted = set(ids)
        again = sorted(
            {r for e, _ in named if e.evaluator == row["evaluator"] for r in e.records} & wanted
        )
        if again:
            raise Conflict(
                "already_confirmed", "you already confirmed these claims", {"records": again}
            )
        eid = confirmations.insert_endorsement(conn, row, ids)
        transaction.new_work(conn)
        active = [e for e, status in named if status == "active"]
        active.append(PlanEndorsement(eid, row["evaluator"], row["kind"], tuple(ids)))
        now, active = pending.refresh(conn, ids, core.rules(), rows=rows.values(), active=active)
    return StoredConfirmation(eid, [rows[r] for r in ids], now, active)
