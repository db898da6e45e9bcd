"""Hand-built ledger facts for the notices engine tests: no chain, exact numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from credit.facts import (
    ClaimRejection,
    CreditRecord,
    Evidence,
    Expiry,
    LedgerFacts,
    PendingClaim,
    ViolationRecord,
    ViolationStatus,
)
from credit.notices import Notice, evaluate
from credit.ruleset import RuleSet, parse_ruleset

GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z
EPOCH = 7 * 24 * 3600
HOUR = 3600
DAY = 24 * HOUR
SUPERIOR, PEER, PUBLIC, EXPERT = 0, 1, 2, 3


def addr(n: int) -> str:
    """A lower-case address, distinct for each n."""
    return "0x" + f"{n:040x}"


A, B, C, D = addr(0xA1), addr(0xB2), addr(0xC3), addr(0xD4)
OFFICIAL = addr(0xF1)


def start(epoch: int) -> int:
    """Unix time at which ``epoch`` starts."""
    return GENESIS + epoch * EPOCH


def with_rules(ruleset: RuleSet, rules: list[dict[str, Any]]) -> RuleSet:
    """The rule set with its notices section replaced by ``rules``."""
    data = ruleset.model_dump(mode="json", by_alias=True)
    data["notices"] = {"schema": "consensus-credit/notices-1", "rules": rules}
    return parse_ruleset(data)


def default_rule(ruleset: RuleSet, rule_id: str, **params: Any) -> dict[str, Any]:
    """A rule of the default section, by id, with some parameters overridden."""
    rule = next(r for r in ruleset.notices["rules"] if r["id"] == rule_id)
    return {**rule, "params": {**rule["params"], **params}}


@dataclass
class Ledger:
    """Accumulates facts; every fact gets its own block, in the order it is added."""

    now: int
    residents: list[str] = field(default_factory=lambda: [A, B, C, D])
    credits: list[CreditRecord] = field(default_factory=list)
    violations: list[ViolationRecord] = field(default_factory=list)
    pending: list[PendingClaim] = field(default_factory=list)
    expiries: list[Expiry] = field(default_factory=list)
    rejections: list[ClaimRejection] = field(default_factory=list)
    block: int = 100

    def at(self, time: int) -> Evidence:
        """Evidence for a fact at ``time``, in a new block."""
        self.block += 1
        return Evidence(f"0x{self.block:064x}", self.block, self.block % 3, time)

    def rid(self) -> str:
        return f"0x{self.block + 1:062x}aa"

    def credit(self, resident: str, epoch: int, points: int, category: int = 1) -> CreditRecord:
        """A credited record of ``points`` (units = points // 5) one hour into ``epoch``."""
        rid = self.rid()
        rec = CreditRecord(
            rid,
            resident,
            category,
            max(1, points // 5),
            points,
            1,
            epoch,
            self.at(start(epoch) + HOUR),
        )
        self.credits.append(rec)
        return rec

    def violation(
        self,
        resident: str,
        time: int,
        *,
        status: ViolationStatus = ViolationStatus.RECORDED,
        deducted: int = 20,
        deadline: int | None = None,
        category: int = 100,
    ) -> ViolationRecord:
        """A littering violation recorded at ``time`` (deadline: 14 days later by default)."""
        rid = self.rid()
        at = self.at(time)
        resolved = self.at(time + HOUR) if status in ("upheld", "overturned") else None
        rec = ViolationRecord(
            rid, resident, category, 1, 20, deducted, 1,
            deadline if deadline is not None else time + 14 * DAY, status, at, resolved,
        )  # fmt: skip
        self.violations.append(rec)
        return rec

    def claim(
        self, resident: str, time: int, category: int = 1, confirmations: tuple = ()
    ) -> PendingClaim:
        """A pending claim submitted at ``time``."""
        rid = self.rid()
        rec = PendingClaim(rid, resident, category, 2, tuple(confirmations), self.at(time))
        self.pending.append(rec)
        return rec

    def rejection(
        self,
        resident: str,
        time: int,
        *,
        kind: int = 0,
        reason: str = "wrong_amount",
        note: str = "One hour, not two.",
    ) -> ClaimRejection:
        """An evaluator's rejection, at ``time``, of a claim the gateway held (no block)."""
        rec = ClaimRejection(
            f"0x{len(self.rejections) + 1:062x}bb", resident, 1, 2, time - DAY, kind, reason,
            note, time,
        )  # fmt: skip
        self.rejections.append(rec)
        return rec

    def expiry(self, resident: str, amount: int, last_active: int, time: int) -> Expiry:
        """A materialised lapse."""
        rec = Expiry(resident, amount, last_active, self.at(time))
        self.expiries.append(rec)
        return rec

    def facts(self, ruleset: RuleSet) -> LedgerFacts:
        """The facts, with ``ruleset`` published as version 1."""
        return LedgerFacts(
            as_of_block=self.block + 1,
            as_of_time=self.now,
            epoch_length=EPOCH,
            genesis=GENESIS,
            residents=tuple(self.residents),
            credits=tuple(self.credits),
            violations=tuple(self.violations),
            pending=tuple(self.pending),
            expiries=tuple(self.expiries),
            rejections=tuple(self.rejections),
            rule_versions={1: "0x" + ruleset.content_hash().hex()},
        )


def shuffled(facts: LedgerFacts, seed: int) -> LedgerFacts:
    """The same facts with every tuple in another order."""
    rng = random.Random(seed)

    def mix(items: tuple) -> tuple:
        out = list(items)
        rng.shuffle(out)
        return tuple(out)

    return replace(
        facts,
        residents=mix(facts.residents),
        credits=mix(facts.credits),
        violations=mix(facts.violations),
        pending=mix(facts.pending),
        expiries=mix(facts.expiries),
        rejections=mix(facts.rejections),
    )


def run(
    ruleset: RuleSet, ledger: Ledger, rule_id: str | None = None, **kwargs: Any
) -> list[Notice]:
    """Evaluate the ledger's facts (version 1), keeping only ``rule_id``'s notices if given."""
    notices = evaluate(ruleset, 1, ledger.facts(ruleset), **kwargs)
    return [n for n in notices if rule_id is None or n.rule_id == rule_id]
