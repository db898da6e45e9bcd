"""An epoch's ledger state, from ledger facts alone: each resident's credit and earnings.

Pure: no chain, no clock. The state of epoch E holds, for every resident registered at the end of
E, in canonical order (ascending address):

- ``credit``: what ``CreditLedger.creditOf`` returns at the last second of E: the raw balance moved
  by credited records, deductions, overturned appeals and materialised expiries, read as zero once
  lapsed under the expiry of the rule version in force then (as :func:`fold_credit` does);
- ``earned``: the points credited to them in E (what ``epochEarnings(resident, E)`` reports).

The facts must stop at the end of E (``as_of_time`` inside E or earlier): the verifier replays
exactly the blocks with a timestamp before the start of E+1, which every verifier sees alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from credit.facts import LedgerFacts, ViolationStatus
from credit.fold import RuleVersion, expiry_in_force
from credit.verify.errors import VerifyError


@dataclass(frozen=True)
class ResidentState:
    """One leaf of the state tree."""

    resident: str  # lower-case 0x address
    credit: int
    earned: int


@dataclass(frozen=True)
class EpochState:
    """Every registered resident's state at the end of ``epoch``, by ascending address."""

    epoch: int
    residents: tuple[ResidentState, ...]

    def of(self, resident: str) -> ResidentState | None:
        """The state of ``resident``, if registered at the end of the epoch."""
        wanted = resident.lower()
        return next((r for r in self.residents if r.resident == wanted), None)


def epoch_end(facts: LedgerFacts, epoch: int) -> int:
    """The first second after ``epoch`` (the start of the next one)."""
    return facts.genesis + (epoch + 1) * facts.epoch_length


def epoch_state(facts: LedgerFacts, epoch: int, versions: Sequence[RuleVersion] = ()) -> EpochState:
    """The state of ``epoch`` from ``facts`` (which end within it) and the published rule versions.

    ``versions`` gives credit expiry; without them no balance lapses (as before any rule set).
    """
    end = epoch_end(facts, epoch)
    if facts.as_of_time >= end:
        raise VerifyError(
            f"the facts run to {facts.as_of_time}, past the end of epoch {epoch} ({end}): "
            "replay only the blocks before the epoch's end"
        )
    balance: dict[str, int] = {}
    last_active: dict[str, int] = {}
    earned: dict[str, int] = {}
    for c in facts.credits:
        who = c.resident.lower()
        balance[who] = balance.get(who, 0) + c.points
        last_active[who] = c.epoch
        if c.epoch == epoch:
            earned[who] = earned.get(who, 0) + c.points
    for v in facts.violations:
        who = v.resident.lower()
        restored = v.deducted if v.status is ViolationStatus.OVERTURNED else 0
        balance[who] = balance.get(who, 0) - v.deducted + restored
    for x in facts.expiries:
        who = x.resident.lower()
        balance[who] = balance.get(who, 0) - x.amount
    expiry = expiry_in_force(versions, end - 1)
    rows = []
    for resident in sorted({r.lower() for r in facts.residents}, key=lambda a: int(a, 16)):
        raw = balance.get(resident, 0)
        lapsed = expiry != 0 and raw != 0 and epoch > last_active.get(resident, 0) + expiry
        rows.append(ResidentState(resident, 0 if lapsed else raw, earned.get(resident, 0)))
    return EpochState(epoch, tuple(rows))
