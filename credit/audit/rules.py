"""Published rule versions, which one was in force when, and the checks on their publication.

Versions come from the RuleBook's ``RuleSetPublished`` and ``CategoryDefined`` events (terms from
``RuleBook.ruleSet``). "In force at t" follows the contracts: the newest version whose
``effectiveAt <= t``. A version's *lawful* start is its publication time plus the notice period
(the first version: its publication), whatever ``effectiveAt`` the rule book recorded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from credit.audit.model import ChainEvent, Discrepancy, Terms, duration, first, utc
from credit.facts import CategoryRule, Evidence
from credit.ruleset import RuleSet


@dataclass
class Version:
    """A published rule-set version."""

    number: int
    content_hash: str
    effective_at: int
    at: Evidence  # the RuleSetPublished event (block_time = publication time)
    uri: str = ""
    categories: dict[int, CategoryRule] = field(default_factory=dict)
    terms: Terms | None = None

    @property
    def published_at(self) -> int:
        return self.at.block_time


class RuleHistory:
    """Every version, in order, with lookups by time."""

    def __init__(self, events: Iterable[ChainEvent], terms: dict[int, Terms]) -> None:
        self.versions: dict[int, Version] = {}
        pending: dict[int, dict[int, CategoryRule]] = {}
        for e in events:
            if e.name == "CategoryDefined":
                rule = CategoryRule.from_struct(int(e.args["category"]), e.args["rule"])
                pending.setdefault(int(e.args["ruleVersion"]), {})[rule.category] = rule
            elif e.name == "RuleSetPublished":
                n = int(e.args["ruleVersion"])
                self.versions[n] = Version(
                    n, e.args["contentHash"], int(e.args["effectiveAt"]), e.evidence, e.args["uri"]
                )
        for n, v in self.versions.items():
            v.categories = pending.get(n, {})
            v.terms = terms.get(n)
        self._order = sorted(self.versions.values(), key=lambda v: (v.effective_at, v.number))
        self._starts = [v.effective_at for v in self._order]

    def in_force(self, timestamp: int) -> Version | None:
        """The version in force at ``timestamp`` (None before the first)."""
        i = bisect_right(self._starts, timestamp)
        return self._order[i - 1] if i else None

    def rule(self, version: int, category: int) -> CategoryRule | None:
        v = self.versions.get(version)
        return None if v is None else v.categories.get(category)

    def expiry_at(self, timestamp: int) -> int:
        """Credit expiry (epochs) of the version in force at ``timestamp``; 0 = never."""
        v = self.in_force(timestamp)
        return v.terms.expiry_epochs if v is not None and v.terms is not None else 0


def lawful_start(v: Version, notice_period: int) -> int:
    return v.published_at if v.number == 1 else v.published_at + notice_period


def check_publications(history: RuleHistory, notice_period: int) -> list[Discrepancy]:
    """Numbering, notice period, one pending version at a time, hashes, categories (and none
    that evaluators of one kind alone may credit without limit: what ``credit rules`` refuses to
    publish, the RuleBook accepts, so the auditor reports it)."""
    out: list[Discrepancy] = []
    previous: Version | None = None
    for n in sorted(history.versions):
        v = history.versions[n]
        ev = (v.at,)
        if n != (previous.number + 1 if previous else 1):
            after = previous.number if previous else 0
            out.append(Discrepancy("rules.version_gap", f"version {n} follows {after}", ev))
        if v.effective_at < lawful_start(v, notice_period):
            out.append(
                Discrepancy(
                    "rules.notice_period_skipped",
                    f"version {n} was published at {utc(v.published_at)} and made effective at "
                    f"{utc(v.effective_at)}, before its notice period of {duration(notice_period)}"
                    " ended",
                    ev,
                    {
                        "version": n,
                        "effective_at": v.effective_at,
                        "lawful_start": lawful_start(v, notice_period),
                    },
                )
            )
        if previous is not None and previous.effective_at > v.published_at:
            out.append(
                Discrepancy(
                    "rules.two_pending",
                    f"version {n} was published while version {previous.number} was pending",
                    ev,
                )
            )
        if v.terms is not None and v.terms.content_hash != v.content_hash:
            out.append(
                Discrepancy(
                    "rules.hash_mismatch",
                    f"version {n}: the event says {v.content_hash}, the rule book's terms "
                    f"{v.terms.content_hash}",
                    ev,
                )
            )
        if not v.categories:
            out.append(Discrepancy("rules.no_categories", f"version {n} defines no category", ev))
        for cid, rule in sorted(v.categories.items()):
            why = rule.one_kind_without_limit()
            if why:
                out.append(
                    Discrepancy(
                        "rules.one_kind_without_limit",
                        f"version {n}: {why}",
                        ev,
                        {"version": n, "category": cid},
                    )
                )
        previous = v
    return out


def check_applied_early(
    history: RuleHistory, records: Sequence[ChainEvent], notice_period: int
) -> list[Discrepancy]:
    """Records booked under a version before its lawful start (one finding per version)."""
    early: dict[int, list[Evidence]] = {}
    for e in records:
        v = history.versions.get(int(e.args["ruleVersion"]))
        if v is not None and e.block_time < lawful_start(v, notice_period):
            early.setdefault(v.number, []).append(e.evidence)
    return [
        Discrepancy(
            "rules.applied_early",
            f"{len(ev)} record(s) were booked under version {n} before its notice period ended",
            first(ev),
            {"version": n, "records": len(ev)},
        )
        for n, ev in sorted(early.items())
    ]


def match_rule_files(
    history: RuleHistory, files: Sequence[tuple[Path, RuleSet]]
) -> tuple[dict[int, RuleSet], list[Discrepancy], list[dict[str, object]]]:
    """Which published version each rule-set file is (by content hash), and whether its on-chain
    categories and terms are exactly the file's. Returns (version -> rule set, findings, rows)."""
    matched: dict[int, RuleSet] = {}
    out: list[Discrepancy] = []
    rows: list[dict[str, object]] = []
    for path, rs in files:
        digest = "0x" + rs.content_hash().hex()
        versions = [v for v in history.versions.values() if v.content_hash == digest]
        rows.append(
            {
                "file": str(path),
                "hash": digest,
                "versions": [v.number for v in versions],
                "categories": {str(c.id): c.title.en for c in rs.categories},
            }
        )
        if not versions:
            out.append(
                Discrepancy(
                    "rules.file_unpublished",
                    f"{path} hashes to {digest}, which no published version has",
                    data={"file": str(path), "hash": digest},
                )
            )
        for v in versions:
            matched[v.number] = rs
            problems = _content_problems(v, rs)
            if problems:
                out.append(
                    Discrepancy(
                        "rules.file_content_mismatch",
                        f"version {v.number} has the hash of {path} but publishes other rules: "
                        + "; ".join(problems),
                        (v.at,),
                        {"file": str(path), "version": v.number},
                    )
                )
    return matched, out, rows


def _content_problems(v: Version, rs: RuleSet) -> list[str]:
    ids, rules = rs.onchain_categories()
    problems = []
    for cid, rule in zip(ids, rules, strict=True):
        onchain = v.categories.get(cid)
        if onchain is None or onchain.as_tuple() != tuple(rule[:9]):
            problems.append(f"category {cid} differs")
    problems += [f"category {c} is not in the file" for c in sorted(set(v.categories) - set(ids))]
    terms = rs.onchain_terms()
    if v.terms is not None and (
        v.terms.expiry_epochs,
        v.terms.appeal_window,
        v.terms.reward_per_point,
        v.terms.epoch_reward_cap,
    ) != tuple(terms[1:]):
        problems.append("terms differ")
    return problems
