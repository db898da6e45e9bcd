"""Running every check over replayed chain data: the auditor's pure core.

``run_checks`` takes what the replay read (:class:`ChainData`), the rule-set files and a notices
export, and returns an :class:`AuditResult`; nothing here talks to a node, so every check is tested
on hand-made data as well as on real chains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credit.audit.appeals import AppealDecision, check_appeals
from credit.audit.balances import Books, recompute
from credit.audit.model import ChainData, Findings
from credit.audit.notices_compare import NoticesComparison, NoticesExport, compare
from credit.audit.notices_compare import recompute as recompute_notices
from credit.audit.private_roots import PoseidonEpoch, check_poseidon_roots
from credit.audit.quorum import QuorumStats, check_quorums
from credit.audit.rewards import RewardSummary, check_rewards
from credit.audit.roles import LEDGER, RULE_BOOK, RoleTimeline
from credit.audit.rules import (
    RuleHistory,
    check_applied_early,
    check_publications,
    match_rule_files,
)
from credit.errors import RuleError
from credit.fold import Schedule
from credit.ruleset import RuleSet


@dataclass(frozen=True)
class NoticesInput:
    """A gateway export and the block (and its time) it is to be recomputed at."""

    export: NoticesExport
    as_of_block: int
    as_of_time: int


@dataclass
class AuditResult:
    data: ChainData
    found: Findings
    history: RuleHistory
    roles: RoleTimeline
    books: Books
    rewards: RewardSummary
    appeals: list[AppealDecision]
    quorum: QuorumStats
    rule_files: list[dict[str, Any]] = field(default_factory=list)
    notices: NoticesComparison | None = None
    warnings: list[str] = field(default_factory=list)
    poseidon_roots: list[PoseidonEpoch] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.found.total == 0


def _deployment_checks(data: ChainData, found: Findings) -> None:
    d = data.deployment
    for c in data.code:
        if c.expected and c.found != c.expected:
            found.add(
                "code.unexpected",
                f"the code at {c.address} is not the compiled {c.label} (its metadata hash "
                "differs): the audited source is not what runs there",
                contract=c.label,
                address=c.address,
                expected=c.expected,
                found=c.found,
            )
    if d.notice_period != d.notice_period_file:
        found.add(
            "deployment.notice_period_mismatch",
            f"the rule book's notice period is {d.notice_period} s, the deployment file says "
            f"{d.notice_period_file} s",
        )
    bound = [e for e in data.events if e.name == "LedgerBound"]
    if not any(e.args["ledger"] == d.ledger for e in bound):
        found.add(
            "deployment.ledger_not_bound",
            f"the rule book never bound the ledger {d.ledger}",
            tuple(e.evidence for e in bound),
        )
    staged = {
        (int(e.args["ruleVersion"]), int(e.args["effectiveAt"]))
        for e in data.events
        if e.name == "RulesStaged" and e.address == d.ledger
    }
    for e in data.events:
        if e.name == "RuleSetPublished":
            key = (int(e.args["ruleVersion"]), int(e.args["effectiveAt"]))
            if key not in staged:
                found.add(
                    "rules.not_staged",
                    f"version {key[0]} was published but the ledger never staged it for {key[1]}",
                    (e.evidence,),
                    version=key[0],
                )


def _notices(
    result: AuditResult, matched: dict[int, RuleSet], notices: NoticesInput
) -> NoticesComparison:
    d = result.data.deployment
    version = result.history.in_force(notices.as_of_time)
    comparison = NoticesComparison(
        notices.as_of_block, notices.as_of_time, version.number if version else None
    )
    ruleset = matched.get(version.number) if version else None
    if version is None or ruleset is None:
        result.found.add(
            "notices.unverifiable",
            "the notices cannot be recomputed: pass the rule-set file of version "
            f"{comparison.rule_version} (in force at block {notices.as_of_block}) with --rules",
            version=comparison.rule_version,
        )
        return comparison
    roles = result.roles.evaluator_kinds((notices.as_of_block + 1, 0))
    arbiters = result.roles.holders("ARBITER_ROLE", (notices.as_of_block + 1, 0))
    try:
        mine = recompute_notices(
            result.data.events,
            as_of_block=notices.as_of_block,
            as_of_time=notices.as_of_time,
            schedule=Schedule(d.epoch_length, d.genesis),
            ruleset=ruleset,
            version=version.number,
            roles=roles,
            arbiters=arbiters,
        )
    except RuleError as exc:
        result.found.add("notices.unverifiable", f"the notices cannot be recomputed: {exc}")
        return comparison
    return compare(mine, notices.export, comparison, result.found)


def run_checks(
    data: ChainData,
    rule_files: Sequence[tuple[Path, RuleSet]] = (),
    notices: NoticesInput | None = None,
) -> AuditResult:
    """Every check of the audit over ``data``."""
    d = data.deployment
    found = Findings()
    roles = RoleTimeline(data.events, {d.ledger: LEDGER, d.rule_book: RULE_BOOK})
    history = RuleHistory(data.events, data.terms)
    _deployment_checks(data, found)
    found.extend(check_publications(history, d.notice_period))
    books = recompute(data, history, found)
    found.extend(check_applied_early(history, books.records, d.notice_period))
    quorum = check_quorums(data, history, roles, found)
    rewards = check_rewards(data, history, books, found)
    appeals = check_appeals(data, books, roles, found)
    matched, problems, rows = match_rule_files(history, rule_files)
    found.extend(problems)
    result = AuditResult(data, found, history, roles, books, rewards, appeals, quorum, rows)
    result.poseidon_roots = check_poseidon_roots(data, history, found)
    if not rule_files:
        result.warnings.append(
            "no rule-set file given (--rules): the published hashes were not checked against "
            "any text"
        )
    if notices is not None:
        result.notices = _notices(result, matched, notices)
    return result
