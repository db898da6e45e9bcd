"""Pure: what a reverted relay transaction means for the claims and endorsements it carried.

The revert is decoded to the ledger's custom error (name and arguments). When the error names a
claim (by record id, by resident, by category, by deadline...) that claim is rejected with the
error as its reason and the others are requeued; an error naming an evaluator invalidates that
evaluator's endorsement instead. An error that names nothing we can attribute (a planning bug)
rejects the whole batch with the error, so no batch is retried forever.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SentClaim:
    """A claim as it was carried in a transaction (addresses and ids lower-case hex)."""

    record_id: str
    resident: str
    category: int
    units: int
    occurred_at: int
    nonce: int
    deadline: int
    reporter: str | None = None  # a violation report's official; None for a claim


@dataclass(frozen=True)
class SentEndorsement:
    """An endorsement as it was carried in a transaction."""

    id: int
    evaluator: str
    kind: int
    deadline: int


@dataclass(frozen=True)
class Verdict:
    """Claims to reject, endorsements to drop (expired or invalid); everything else is requeued."""

    reject: tuple[str, ...] = ()
    drop_endorsements: tuple[int, ...] = ()
    moved: dict[str, int] = field(default_factory=dict)  # residents whose chain nonce moved past
    requeue_all: bool = False
    attributed: bool = True
    notes: dict[str, str] = field(default_factory=dict)


def _low(value: object) -> str:
    return str(value).lower()


def judge(
    error: str,
    args: dict[str, object],
    carried: Sequence[SentClaim],
    endorsements: Sequence[SentEndorsement],
    live_nonces: Collection[tuple[str, int]] = (),
    reproducible: bool = True,
) -> Verdict:
    """The :class:`Verdict` for a batch that reverted with ``error(args)``.

    ``live_nonces`` holds (resident, nonce) of claims still live outside this batch: a nonce
    error caused by an earlier claim still on its way is not this claim's fault.
    """
    if not reproducible:  # the state changed under it (a block mate): plan again
        return Verdict(requeue_all=True)
    a = {k: _low(v) for k, v in args.items()}
    ids = [c.record_id for c in carried]
    if error == "LedgerSelfConfirmation" or error == "LedgerAlreadyConfirmed":
        dropped = tuple(e.id for e in endorsements if e.evaluator == a.get("evaluator"))
        return Verdict(drop_endorsements=dropped) if dropped else _all(ids)
    if error == "LedgerEvaluatorLacksRole":
        dropped = tuple(
            e.id for e in endorsements if e.evaluator == a["evaluator"] and str(e.kind) == a["kind"]
        )
        return Verdict(drop_endorsements=dropped) if dropped else _all(ids)
    if error == "LedgerExpiredSignature":
        deadline = int(a["deadline"])
        bad_claims = tuple(c.record_id for c in carried if c.deadline == deadline)
        bad_ends = tuple(e.id for e in endorsements if e.deadline == deadline)
        if bad_claims or bad_ends:
            return Verdict(reject=bad_claims, drop_endorsements=bad_ends)
        return _all(ids)
    if error == "LedgerInvalidNonce":
        account, expected, given = a["account"], int(a["expected"]), int(a["given"])
        if given > expected and (account, expected) in live_nonces:
            return Verdict(requeue_all=True)
        named = _named([c for c in carried if c.resident == account and c.nonce == given], ids)
        if given < expected and named.attributed:  # cancelled or used: the resident moved on
            return Verdict(reject=named.reject, moved={account: expected})
        return named
    if error == "LedgerCategoryCapExceeded":
        mine = [
            c for c in carried if c.resident == a["resident"] and str(c.category) == a["category"]
        ]
        return _named(sorted(mine, key=lambda c: c.nonce)[-1:], ids)
    return _named([c for c in carried if _names(error, a, c)], ids)


def _names(error: str, a: dict[str, str], c: SentClaim) -> bool:
    """Whether ``error(a)`` is about claim ``c``."""
    if "recordid" in (k.lower() for k in a):
        return c.record_id == a.get("recordId")
    if error == "LedgerNotOfficialReporter":
        return c.reporter == a.get("reporter")
    if error in ("LedgerNotRegistered", "LedgerInvalidResident"):
        return c.resident == a.get("account")
    if error == "LedgerInvalidSigner":
        return c.resident == a.get("expected")
    if error == "LedgerInvalidUnits":
        return str(c.category) == a["category"] and str(c.units) == a["units"]
    if error == "LedgerOccurredInFuture":
        return str(c.occurred_at) == a["occurredAt"]
    if error in ("LedgerUnknownCategory", "LedgerCategoryKindMismatch", "LedgerAutomatedCategory"):
        return str(c.category) == a["category"]
    return False


def _named(claims: Sequence[SentClaim], ids: Sequence[str]) -> Verdict:
    return Verdict(reject=tuple(c.record_id for c in claims)) if claims else _all(ids)


def _all(ids: Sequence[str]) -> Verdict:
    return Verdict(reject=tuple(ids), attributed=False)
