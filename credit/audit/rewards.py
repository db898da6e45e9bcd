"""Rewards and the reward token's supply: nothing minted outside ``mintRewards`` and the rules.

- Each epoch's terms (``RewardTermsFixed``) are those of the version in force at the epoch's last
  second.
- Each payment (``RewardMinted``) comes after the epoch ended, pays the points the resident earned
  in that epoch (recomputed from the records) at that rate, once per resident and epoch, and the
  epoch's total stays within its cap.
- Points earned, not net of violations: a violation confirmed in the same epoch lowers the
  resident's credit, never that epoch's reward (rewards pay for taking part; a violation may still
  be overturned after the reward is paid). A payment netted of the epoch's deductions is named as
  such (``reward.net_of_violations``), and :attr:`RewardSummary.violation_epochs_paid` counts the
  payments for epochs that had violations, paid in full as the rule says.
- Every ``Transfer`` from the zero address is one such payment: same transaction, same recipient,
  same amount. Any other mint is named, and the total supply read at the audited block must equal
  what the transfers minted minus what they burned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from credit.audit.balances import Books
from credit.audit.model import ChainData, ChainEvent, Findings
from credit.audit.rules import RuleHistory
from credit.facts import Evidence

ZERO = "0x" + "00" * 20


@dataclass
class EpochRewards:
    """What was paid for one epoch, and under which terms."""

    epoch: int
    version: int | None = None
    rate: int | None = None
    cap: int | None = None
    minted: int = 0
    payments: int = 0


@dataclass
class RewardSummary:
    epochs: dict[int, EpochRewards] = field(default_factory=dict)
    minted_total: int = 0
    violation_epochs_paid: int = 0  # payments for an epoch with violations, on points earned

    def epoch(self, n: int) -> EpochRewards:
        return self.epochs.setdefault(n, EpochRewards(n))


def check_rewards(
    data: ChainData, history: RuleHistory, books: Books, found: Findings
) -> RewardSummary:
    """Check every reward payment and every mint of the reward token."""
    d = data.deployment
    summary = RewardSummary()
    paid: set[tuple[str, int]] = set()
    rewarded: dict[str, list[tuple[str, int]]] = defaultdict(list)  # tx -> (resident, amount)
    transfers: list[ChainEvent] = []
    burned = 0
    for e in data.events:
        a, ev = e.args, (e.evidence,)
        if e.name == "RewardTermsFixed":
            epoch = summary.epoch(int(a["epoch"]))
            epoch.version, epoch.rate, epoch.cap = (
                int(a["ruleVersion"]),
                int(a["rewardPerPoint"]),
                int(a["cap"]),
            )
            last_second = d.genesis + (epoch.epoch + 1) * d.epoch_length - 1
            lawful = history.in_force(last_second)
            terms = lawful.terms if lawful else None
            expected = (
                (lawful.number, terms.reward_per_point, terms.epoch_reward_cap)
                if (lawful and terms)
                else None
            )
            if expected != (epoch.version, epoch.rate, epoch.cap):
                found.add(
                    "reward.terms_mismatch",
                    f"epoch {epoch.epoch} was paid under version {epoch.version} (rate "
                    f"{epoch.rate}, cap {epoch.cap}); the version in force at its last second "
                    f"gives {expected}",
                    ev,
                    epoch=epoch.epoch,
                )
        elif e.name == "RewardMinted":
            _payment(e, d.genesis, d.epoch_length, summary, books, paid, found)
            rewarded[e.tx_hash].append((a["resident"], int(a["amount"])))
        elif e.name == "Transfer" and a["from"] == ZERO:
            transfers.append(e)
        elif e.name == "Transfer" and a["to"] == ZERO:
            burned += int(a["value"])
    minted = 0
    for e in transfers:
        a = e.args
        minted += int(a["value"])
        match = (a["to"], int(a["value"]))
        if match in rewarded[e.tx_hash]:
            rewarded[e.tx_hash].remove(match)
            continue
        found.add(
            "mint.outside_rules",
            f"{a['value']} reward-token units were minted to {a['to']} with no RewardMinted "
            "accounting for them",
            (e.evidence,),
            to=a["to"],
            amount=str(a["value"]),
        )
    for tx, left in rewarded.items():
        for resident, amount in left:
            if amount:
                found.add(
                    "mint.missing_transfer",
                    f"RewardMinted says {resident} got {amount} but no mint of that amount to "
                    "them is in the same transaction",
                    data_evidence(data, tx),
                    resident=resident,
                )
    summary.minted_total = minted
    if data.total_supply != minted - burned:
        found.add(
            "supply.mismatch",
            f"totalSupply is {data.total_supply} at block {data.block}; the transfers from and "
            f"to the zero address give {minted - burned}",
            supply=str(data.total_supply),
            recomputed=str(minted - burned),
        )
    return summary


def data_evidence(data: ChainData, tx: str) -> tuple[Evidence, ...]:
    """Evidence of the first of our events in transaction ``tx``."""
    return tuple(e.evidence for e in data.events if e.tx_hash == tx)[:1]


def _payment(
    e: ChainEvent,
    genesis: int,
    length: int,
    summary: RewardSummary,
    books: Books,
    paid: set[tuple[str, int]],
    found: Findings,
) -> None:
    a, ev = e.args, (e.evidence,)
    resident, n = a["resident"], int(a["epoch"])
    epoch = summary.epoch(n)
    if e.block_time < genesis + (n + 1) * length:
        found.add(
            "reward.before_epoch_end",
            f"{resident} was paid for epoch {n} before it ended",
            ev,
            resident=resident,
            epoch=n,
        )
    if (resident, n) in paid:
        found.add(
            "reward.paid_twice",
            f"{resident} was paid twice for epoch {n}",
            ev,
            resident=resident,
            epoch=n,
        )
    paid.add((resident, n))
    book = books.residents.get(resident)
    earned = book.earnings.get(n, 0) if book else 0
    deducted = book.deducted.get(n, 0) if book else 0
    if int(a["points"]) == earned and deducted:
        summary.violation_epochs_paid += 1
    if int(a["points"]) != earned and deducted and int(a["points"]) == max(0, earned - deducted):
        found.add(
            "reward.net_of_violations",
            f"{resident} was paid for {a['points']} points in epoch {n}: the {earned} points "
            f"earned less the {deducted} its violations deducted; rewards pay points earned "
            "(violations lower credit, not a period's reward)",
            ev,
            resident=resident,
            epoch=n,
            paid_points=int(a["points"]),
            earned=earned,
            deducted=deducted,
        )
    elif int(a["points"]) != earned:
        found.add(
            "reward.points_mismatch",
            f"{resident} was paid for {a['points']} points in epoch {n}; the records give {earned}",
            ev,
            resident=resident,
            epoch=n,
            paid_points=int(a["points"]),
            earned=earned,
        )
    if epoch.rate is not None and int(a["amount"]) != earned * epoch.rate:
        found.add(
            "reward.amount_mismatch",
            f"{resident} got {a['amount']} for epoch {n}; {earned} points x {epoch.rate} = "
            f"{earned * epoch.rate}",
            ev,
            resident=resident,
            epoch=n,
        )
    if epoch.rate is None:
        found.add(
            "reward.terms_missing",
            f"{resident} was paid for epoch {n}, whose terms were never fixed",
            ev,
            epoch=n,
        )
    epoch.minted += int(a["amount"])
    epoch.payments += 1
    if epoch.cap is not None and epoch.minted > epoch.cap:
        found.add(
            "reward.cap_exceeded",
            f"epoch {n} minted {epoch.minted}, over its cap of {epoch.cap}",
            ev,
            epoch=n,
            minted=str(epoch.minted),
            cap=str(epoch.cap),
        )
