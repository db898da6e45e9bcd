"""The notices engine: rule set + ledger facts -> reminders and warnings, deterministically.

``evaluate`` is a pure function: the same facts (in any tuple order) and the same rule set give
the same notices, byte for byte through :func:`canonical_notices_json`, so an auditor holding the
chain and the rule-set file can recompute what every resident was told. Nothing reads the clock:
"now" is ``facts.as_of_time`` and each notice's ``created_at`` is that time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import keccak

from credit.errors import RuleError
from credit.facts import LedgerFacts
from credit.notices import rejections, reminders, warning_rules
from credit.notices.findings import Condition, Context, Finding
from credit.notices.ledger import LedgerView, evidence_key
from credit.notices.render import render
from credit.notices.schema import NoticeRule, parse_notices
from credit.ruleset import EvaluatorKind, RuleSet, canonical_json

EVALUATORS: dict[str, Condition] = {
    "credit_expiring": reminders.credit_expiring,
    "claim_awaiting_confirmations": reminders.claim_awaiting_confirmations,
    "confirmation_requested": reminders.confirmation_requested,
    "claim_rejected": rejections.claim_rejected,
    "appeal_deadline": reminders.appeal_deadline,
    "appeals_waiting": reminders.appeals_waiting,
    "cap_nearly_reached": reminders.cap_nearly_reached,
    "participation_below_median": reminders.participation_below_median,
    "repeated_violations": warning_rules.repeated_violations,
    "reward_at_risk": warning_rules.reward_at_risk,
    "violation_recorded": warning_rules.violation_recorded,
}

Roles = Mapping[str, Iterable[EvaluatorKind | int | str]]


@dataclass(frozen=True)
class Notice:
    """A reminder or warning for one recipient, with everything needed to check it.

    ``evidence`` entries are ``{record_id, tx_hash, block_number, log_index}`` (``record_id`` is
    None for facts without one); ``appeal`` is ``{record_ids, how, deadline}`` or None.
    """

    id: str
    resident: str
    rule_id: str
    rule_set_version: int
    rule_set_hash: str
    kind: str
    severity: str
    message: dict[str, str]
    evidence: tuple[dict[str, Any], ...]
    appeal: dict[str, Any] | None
    created_at: int
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the notice."""
        out = asdict(self)
        out["evidence"] = [dict(e) for e in self.evidence]
        return out


def notice_id(rule_id: str, resident: str, evidence: Iterable[dict[str, Any]], scope: Any) -> str:
    """keccak-256 of the rule id, the recipient, the evidence keys and the scope (0x hex)."""
    keys = [[e["record_id"], e["tx_hash"], e["log_index"]] for e in evidence]
    payload = {"evidence": keys, "resident": resident, "rule": rule_id, "scope": scope}
    return "0x" + keccak(canonical_json(payload)).hex()


def _hex(value: str | bytes) -> str:
    text = value.hex() if isinstance(value, bytes) else value.lower()
    return text if text.startswith("0x") else "0x" + text


def check_published(ruleset: RuleSet, version: int, facts: LedgerFacts) -> str:
    """The rule set's hash, if it is the one published on chain as ``version``; else RuleError."""
    mine = _hex(ruleset.content_hash())
    published = facts.rule_versions.get(version)
    if published is None:
        raise RuleError(
            f"rule-set version {version} is not published on chain (known versions: "
            f"{sorted(facts.rule_versions)}): serve notices only under a published version"
        )
    if _hex(published) != mine:
        raise RuleError(
            f"the rule-set file hashes to {mine} but version {version} on chain is "
            f"{_hex(published)}: load the file of the version in force"
        )
    return mine


def _roles(roles: Roles | None) -> dict[str, frozenset[EvaluatorKind]]:
    out: dict[str, frozenset[EvaluatorKind]] = {}
    for address, kinds in (roles or {}).items():
        parsed = set()
        for k in kinds:
            if isinstance(k, str):
                parsed.add(EvaluatorKind[k.upper()])
            else:
                parsed.add(EvaluatorKind(int(k)))
        out[address.lower()] = frozenset(parsed)
    return out


def _notice(rule: NoticeRule, version: int, digest: str, now: int, f: Finding) -> Notice:
    evidence = tuple(sorted(f.evidence, key=evidence_key))
    appeal = None
    if f.appeal is not None:
        assert rule.appeal is not None  # the schema requires a path for these conditions
        deadlines = [v.appeal_deadline for v in f.appeal]
        appeal = {
            "record_ids": [v.record_id for v in f.appeal],
            "how": rule.appeal.how,
            "deadline": min(deadlines) if deadlines else None,
        }
    return Notice(
        id=notice_id(rule.id, f.resident, evidence, f.scope),
        resident=f.resident,
        rule_id=rule.id,
        rule_set_version=version,
        rule_set_hash=digest,
        kind=rule.kind,
        severity=rule.severity,
        message=render(rule.message.model_dump(), f.values),
        evidence=evidence,
        appeal=appeal,
        created_at=now,
        data=f.data,
    )


def evaluate(
    ruleset: RuleSet,
    version: int,
    facts: LedgerFacts,
    *,
    roles: Roles | None = None,
    recipients: Iterable[str] | None = None,
    arbiters: Iterable[str] = (),
) -> list[Notice]:
    """Every notice the rule set's ``notices`` section gives over ``facts``, sorted.

    ``version`` must be published on chain with the rule set's content hash (RuleError if not).
    ``roles`` maps evaluator addresses to the kinds they hold (from AccessControl); registered
    residents are PEER evaluators anyway. ``arbiters`` are the holders of ARBITER_ROLE (the
    recipients of ``appeals_waiting``). Claims the gateway holds (``facts.held``) count like
    pending ones, for their resident and for official evaluators only. ``recipients`` restricts
    the output to those addresses; community aggregates (the median) are still computed over
    everyone, so a resident's notices are the same whether evaluated alone or with everybody's.
    """
    digest = check_published(ruleset, version, facts)
    section = parse_notices(ruleset)
    wanted = None if recipients is None else frozenset(a.lower() for a in recipients)
    held_by = frozenset(a.lower() for a in arbiters)
    ctx = Context(LedgerView(facts, ruleset), _roles(roles), wanted, held_by)
    notices = [
        _notice(rule, version, digest, facts.as_of_time, finding)
        for rule in section.rules
        for finding in EVALUATORS[rule.condition](rule.typed_params(), ctx)
    ]
    return sorted(notices, key=lambda n: (n.resident, n.rule_id, n.id))


def canonical_notices_json(notices: Iterable[Notice]) -> bytes:
    """Canonical bytes of a list of notices (sorted keys, compact, UTF-8), for comparison."""
    return canonical_json([n.to_dict() for n in notices])
