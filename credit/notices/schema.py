"""The ``notices`` section of a rule set: declarative reminder and warning rules, validated.

Shape (inside the rule-set document, so the on-chain content hash covers it)::

    "notices": {"schema": "consensus-credit/notices-1", "rules": [
        {"id": "expiry-soon", "kind": "reminder", "severity": "notice",
         "condition": "credit_expiring", "params": {"notice_epochs": 2},
         "message": {"en": "... {points} ... {date}", "zh": "..."}}, ...]}

Every ``condition`` comes from a fixed vocabulary (:data:`CONDITIONS`), each with its own strict
parameter model, the kinds and severities it may have, and the placeholders its messages may use.
Fairness is enforced before anything else (:mod:`credit.notices.fairness`).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from credit.notices.fairness import NoticeRuleError, check_fairness, check_placeholder
from credit.ruleset import RuleSet

NOTICES_SCHEMA: Literal["consensus-credit/notices-1"] = "consensus-credit/notices-1"
Kind = Literal["reminder", "warning"]
Severity = Literal["info", "notice", "warning"]
EvaluatorName = Literal["superior", "peer", "public", "expert"]


class _Strict(BaseModel):
    """Unknown fields are refused; parameter numbers are StrictInt ("2" or true is a mistake)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditExpiring(_Strict):
    """Credit lapses ``notice_epochs`` or fewer epochs from now (and has not lapsed yet)."""

    notice_epochs: StrictInt = Field(ge=1, le=520)


class ClaimAwaiting(_Strict):
    """The resident's own claim has waited at least ``min_wait_seconds`` for its quorum."""

    min_wait_seconds: StrictInt = Field(default=0, ge=0)


class ConfirmationRequested(_Strict):
    """Pending claims the recipient could confirm as one of ``kinds``; lists the oldest few."""

    kinds: tuple[EvaluatorName, ...] = ("superior", "peer", "public", "expert")
    max_listed: StrictInt = Field(default=10, ge=1, le=100)


class AppealDeadline(_Strict):
    """A recorded violation's appeal deadline is at most ``window_seconds`` away."""

    window_seconds: StrictInt = Field(ge=1)


class AppealsWaiting(_Strict):
    """Appeals filed and not decided yet (``AppealFiled`` without ``AppealResolved``), for the
    arbiters; one reminder per arbiter once the oldest has waited ``min_wait_seconds``."""

    min_wait_seconds: StrictInt = Field(default=0, ge=0)
    max_listed: StrictInt = Field(default=10, ge=1, le=100)


class CapNearlyReached(_Strict):
    """Points earned this epoch in a capped category reached ``threshold_percent`` of its cap."""

    threshold_percent: StrictInt = Field(ge=1, le=100)
    categories: tuple[str, ...] = ()  # category keys; empty = every capped category


class BelowMedian(_Strict):
    """Points over the last ``window_epochs`` completed epochs < ``threshold_percent`` % of the
    median of residents who earned anything then; only with >= ``min_residents`` such residents."""

    window_epochs: StrictInt = Field(ge=1, le=520)
    threshold_percent: StrictInt = Field(ge=1, le=100)
    min_residents: StrictInt = Field(ge=1)


class RepeatedViolations(_Strict):
    """At least ``min_count`` counted violations in the last ``window_epochs`` epochs."""

    window_epochs: StrictInt = Field(ge=1, le=520)
    min_count: StrictInt = Field(ge=1)
    categories: tuple[str, ...] = ()  # violation category keys; empty = all


class ViolationRecorded(_Strict):
    """Each counted violation recorded in the last ``window_epochs`` epochs, one warning each,
    citing the violated rule's readable text."""

    window_epochs: StrictInt = Field(ge=1, le=520)


class RewardAtRisk(_Strict):
    """Earned this epoch, and this epoch's counted violations either number at least
    ``max_violations_in_epoch`` or left the balance below ``min_balance``."""

    min_balance: StrictInt = Field(ge=0)
    max_violations_in_epoch: StrictInt = Field(ge=1)


class ClaimRejected(_Strict):
    """An evaluator rejected one of the resident's claims in the last ``window_seconds``."""

    window_seconds: StrictInt = Field(default=30 * 86400, ge=1)


@dataclass(frozen=True)
class ConditionSpec:
    """What a condition may be: its parameters, kinds, severities and message placeholders."""

    params: type[_Strict]
    kinds: frozenset[str]
    severities: frozenset[str]
    placeholders: frozenset[str]
    appeal: bool  # the notice carries an appeal path, so the rule must declare one


def _spec(
    params: type[_Strict], kind: str, severities: str, fields: str, appeal: bool = False
) -> ConditionSpec:
    return ConditionSpec(
        params, frozenset({kind}), frozenset(severities.split()), frozenset(fields.split()), appeal
    )


CONDITIONS: dict[str, ConditionSpec] = {
    "credit_expiring": _spec(CreditExpiring, "reminder", "info notice", "points date epochs_left"),
    "claim_awaiting_confirmations": _spec(
        ClaimAwaiting,
        "reminder",
        "info notice",
        "category units unit confirmations min_confirmations missing next_step date",
    ),
    "confirmation_requested": _spec(ConfirmationRequested, "reminder", "info notice", "count date"),
    "appeal_deadline": _spec(
        AppealDeadline, "reminder", "info notice", "category points date time", appeal=True
    ),
    "appeals_waiting": _spec(AppealsWaiting, "reminder", "info notice", "count date"),
    "cap_nearly_reached": _spec(
        CapNearlyReached, "reminder", "info notice", "category points cap percent date"
    ),
    "claim_rejected": _spec(
        ClaimRejected, "reminder", "info notice", "category units unit date kind reason note"
    ),
    # a gentle nudge: never a warning, never above "info"
    "participation_below_median": _spec(BelowMedian, "reminder", "info", "points median epochs"),
    "repeated_violations": _spec(
        RepeatedViolations,
        "warning",
        "notice warning",
        "count epochs category unit points",
        appeal=True,
    ),
    "violation_recorded": _spec(
        ViolationRecorded,
        "warning",
        "notice warning",
        "category units unit points version rule date time",
        appeal=True,
    ),
    "reward_at_risk": _spec(
        RewardAtRisk,
        "warning",
        "notice warning",
        "points balance min_balance max_violations count date",
        appeal=True,
    ),
}


class Message(_Strict):
    """A message template in English and Simplified Chinese."""

    en: str = Field(min_length=1, max_length=600)
    zh: str = Field(min_length=1, max_length=600)


class AppealPath(_Strict):
    """How a resident appeals (shown with the record ids and the deadline)."""

    how: str = Field(min_length=1, max_length=300)


class NoticeRule(_Strict):
    """One declarative notice rule; ``params`` is validated against the condition's model."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    kind: Kind
    severity: Severity
    condition: str
    params: dict[str, Any] = Field(default_factory=dict)
    message: Message
    appeal: AppealPath | None = None

    @property
    def spec(self) -> ConditionSpec:
        """The condition's specification."""
        return CONDITIONS[self.condition]

    def typed_params(self) -> Any:
        """``params`` as the condition's parameter model."""
        return self.spec.params.model_validate(self.params)


class NoticesSection(_Strict):
    """The whole ``notices`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_id: Literal["consensus-credit/notices-1"] = Field(default=NOTICES_SCHEMA, alias="schema")
    rules: tuple[NoticeRule, ...] = ()


def _loc(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"])


def _check_rule(rule: NoticeRule, ruleset: RuleSet) -> None:
    """Cross-field checks: kind, severity, appeal path, placeholders, category references."""
    spec, rid = rule.spec, rule.id
    if rule.kind not in spec.kinds:
        raise NoticeRuleError(rid, "kind", f"{rule.condition} notices are {sorted(spec.kinds)[0]}s")
    if rule.severity not in spec.severities:
        allowed = ", ".join(sorted(spec.severities))
        raise NoticeRuleError(rid, "severity", f"{rule.condition} allows severity {allowed} only")
    if spec.appeal and rule.appeal is None:
        raise NoticeRuleError(rid, "appeal", "this notice must say how to appeal (appeal.how)")
    for lang in ("en", "zh"):
        field = f"message.{lang}"
        try:
            parsed = list(Formatter().parse(getattr(rule.message, lang)))
        except ValueError as exc:
            raise NoticeRuleError(rid, field, f"the template is malformed ({exc})") from exc
        for _, name, spec_, conversion in parsed:
            if name is None:
                continue
            check_placeholder(rid, field, name)
            if name not in spec.placeholders or spec_ or conversion:
                allowed = ", ".join(f"{{{p}}}" for p in sorted(spec.placeholders))
                raise NoticeRuleError(rid, field, f"unknown placeholder {{{name}}}; use {allowed}")
    keys = {c.key: c for c in ruleset.categories}
    for i, key in enumerate(rule.params.get("categories", ())):
        category = keys.get(key)
        field = f"params.categories[{i}]"
        if category is None:
            raise NoticeRuleError(rid, field, f"unknown category {key!r}")
        if rule.condition == "cap_nearly_reached" and (
            category.negative or not category.cap_per_epoch
        ):
            raise NoticeRuleError(rid, field, f"{key!r} is not a capped activity category")
        if rule.condition == "repeated_violations" and not category.negative:
            raise NoticeRuleError(rid, field, f"{key!r} is not a violation category")


def _parse_rule(i: int, raw: Any, ruleset: RuleSet) -> NoticeRule:
    if not isinstance(raw, dict):
        raise NoticeRuleError(f"#{i}", "", "each notice rule must be a JSON object")
    rid = str(raw.get("id") or f"#{i}")
    check_fairness(rid, raw)
    condition = raw.get("condition")
    if not isinstance(condition, str) or condition not in CONDITIONS:
        known = ", ".join(sorted(CONDITIONS))
        raise NoticeRuleError(
            rid, "condition", f"unknown condition {condition!r}; use one of {known}"
        )
    try:
        rule = NoticeRule.model_validate(raw)
    except ValidationError as exc:
        raise NoticeRuleError(rid, _loc(exc.errors()[0]), exc.errors()[0]["msg"]) from exc
    try:
        rule.typed_params()
    except ValidationError as exc:
        where = f"params.{_loc(exc.errors()[0])}"
        raise NoticeRuleError(rid, where, exc.errors()[0]["msg"]) from exc
    _check_rule(rule, ruleset)
    return rule


def parse_notices(ruleset: RuleSet) -> NoticesSection:
    """Validate the rule set's ``notices`` section; raises NoticeRuleError (a RuleError)."""
    raw = dict(ruleset.notices)
    check_fairness("(section)", {k: v for k, v in raw.items() if k != "rules"})
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        raise NoticeRuleError("(section)", "rules", "must be a list of notice rules")
    rules = tuple(_parse_rule(i, r, ruleset) for i, r in enumerate(rules_raw))
    ids = [r.id for r in rules]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise NoticeRuleError(duplicate, "id", "rule ids must be unique")
    try:
        return NoticesSection.model_validate({**raw, "rules": rules})
    except ValidationError as exc:
        raise NoticeRuleError("(section)", _loc(exc.errors()[0]), exc.errors()[0]["msg"]) from exc
