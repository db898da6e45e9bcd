"""Rule sets: the published rules credit is computed under, as a typed, validated document.

A rule set is a JSON file (see ``rules/city-default.json``). Its canonical form (sorted keys, no
insignificant whitespace, UTF-8) is hashed with keccak-256; that hash is what the governor
publishes on chain, so anyone holding the file can check it against the version in force.
A rule set that lets evaluators of one kind alone credit a category without limit is refused
(:func:`one_kind_without_limit`, the check the auditor applies to what was published).
Pure: no chain access here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_utils import keccak
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from credit.errors import RuleError
from credit.vocabulary import EvaluatorKind

SCHEMA_ID = "consensus-credit/ruleset-1"


class OneKindQuorumError(RuleError):
    """A rule set lets evaluators of one kind alone credit a category without any limit.

    ``categories`` holds the ids of those categories; the message says what to change.
    """

    def __init__(self, message: str, categories: Sequence[int]) -> None:
        self.categories = tuple(categories)
        super().__init__(message)


@dataclass(frozen=True)
class LoneQuorum:
    """Evaluators of ``kind`` alone meet a category's quorum: ``evaluators`` of them suffice."""

    kind: EvaluatorKind
    evaluators: int

    def __str__(self) -> str:
        name = self.kind.name.lower()
        plural = self.evaluators > 1 and self.kind != EvaluatorKind.PUBLIC
        return f"{self.evaluators} {name}{'s' if plural else ''}"


def lone_quorums(
    threshold: int, min_confirmations: int, kind_weights: int, required_kinds: int
) -> tuple[LoneQuorum, ...]:
    """The kinds whose evaluators alone meet a quorum, in the on-chain encoding of a category
    (``kind_weights``: a 4-bit weight per kind; ``required_kinds``: a bit per kind).

    The ledger credits a record when its confirmations' summed weight reaches ``threshold``,
    their number reaches ``min_confirmations`` and every required kind is among them; a
    confirmation of weight 0 counts for nothing. Kind ``k`` of weight ``w > 0`` alone therefore
    meets it when no kind other than ``k`` is required, with ``n = max(min_confirmations,
    ceil(threshold / w))`` distinct evaluators of ``k``. There is no bound on ``n`` to rely on:
    every registered resident is a peer, the other kinds are roles anyone may be granted, and
    ``n <= 255``, as many of one kind as the ledger counts on one record (``confirm``).
    """
    found = []
    for kind in EvaluatorKind:
        weight = (kind_weights >> (4 * kind)) & 0xF
        if weight == 0 or required_kinds & ~(1 << kind):
            continue
        found.append(LoneQuorum(kind, max(min_confirmations, -(-threshold // weight))))
    return tuple(found)


def one_kind_without_limit(
    name: str,
    *,
    cap_per_epoch: int,
    negative: bool,
    automated: bool,
    threshold: int,
    min_confirmations: int,
    kind_weights: int,
    required_kinds: int,
) -> str | None:
    """Why category ``name`` lets one kind of evaluator credit it without limit, or None.

    The one check, used both before publishing (:class:`RuleSet` refuses such a rule set) and by
    the auditor on what was published (``credit.audit.rules``). A category one kind alone can
    satisfy is allowed only with a cap per epoch: the rule set then states, and the ledger
    enforces, how much that kind may credit one resident. Violations (deductions, reported by an
    official, appealable; the cap does not apply to them) and automated categories (credited by
    the verifier, never by confirmations) are outside this check.
    """
    if negative or automated or cap_per_epoch:
        return None
    alone = lone_quorums(threshold, min_confirmations, kind_weights, required_kinds)
    if not alone:
        return None
    required = [k.name.lower() for k in EvaluatorKind if required_kinds >> k & 1]
    change = (
        f"add a second kind to its required_kinds (now {required})"
        if required
        else "list at least two kinds in its required_kinds"
    )
    return (
        f"category {name} can be credited by evaluators of one kind alone, without limit: "
        f"{' or '.join(str(q) for q in alone)} reach its threshold of {threshold} with the "
        f"{min_confirmations} confirmations it needs, and it has no cap_per_epoch. To keep the "
        f"promise of a consensus of different kinds, {change}, or set cap_per_epoch to the most "
        "points one resident may earn from it per epoch"
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A plain-language text in English and Simplified Chinese."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Confirmation(_Strict):
    """Who must confirm a record of a category before it counts."""

    min_confirmations: int = Field(ge=1, le=255)
    threshold: int = Field(ge=1, le=255)
    weights: dict[Literal["superior", "peer", "public", "expert"], int]
    required_kinds: tuple[Literal["superior", "peer", "public", "expert"], ...] = ()

    @field_validator("weights")
    @classmethod
    def _weights_fit(cls, v: dict[str, int]) -> dict[str, int]:
        if any(not 0 <= w <= 15 for w in v.values()):
            raise ValueError("each evaluator weight must be between 0 and 15")
        if not any(v.values()):
            raise ValueError("at least one evaluator kind must count (weight > 0)")
        return v

    @model_validator(mode="after")
    def _required_count(self) -> Confirmation:
        for kind in self.required_kinds:
            if self.weights.get(kind, 0) == 0:
                raise ValueError(f"required kind {kind!r} has weight 0, so it could never count")
        return self

    def kind_weights(self) -> int:
        """The 4-bit-per-kind packing used on chain."""
        return sum(self.weight_of(k) << (4 * k) for k in EvaluatorKind)

    def required_mask(self) -> int:
        return sum(1 << EvaluatorKind[k.upper()] for k in set(self.required_kinds))

    def weight_of(self, kind: EvaluatorKind) -> int:
        return next((w for k, w in self.weights.items() if k == kind.name.lower()), 0)


class Category(_Strict):
    """One activity category (or violation, when ``negative``)."""

    id: int = Field(ge=1, le=65535)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: Text
    unit: Text
    description: Text | None = Field(
        default=None,
        description="the rule in plain words: what counts and why (shown in warnings); left out "
        "of the canonical form when absent, so older rule sets keep their hash",
    )
    points_per_unit: int = Field(ge=1, le=65535)
    max_units: int = Field(ge=1, le=255)
    cap_per_epoch: int = Field(default=0, ge=0, le=2**32 - 1)
    negative: bool = False
    automated: bool = Field(
        default=False, description="credited only by the verifier contract, never by claims"
    )
    confirmation: Confirmation

    def one_kind_without_limit(self) -> str | None:
        """See :func:`one_kind_without_limit`."""
        c = self.confirmation
        return one_kind_without_limit(
            f"{self.id} ({self.key})",
            cap_per_epoch=self.cap_per_epoch,
            negative=self.negative,
            automated=self.automated,
            threshold=c.threshold,
            min_confirmations=c.min_confirmations,
            kind_weights=c.kind_weights(),
            required_kinds=c.required_mask(),
        )


class Terms(_Strict):
    """Rule-set wide terms, published on chain with the hash."""

    expiry_epochs: int = Field(ge=0, le=65535)
    appeal_window_seconds: int = Field(ge=0, le=2**32 - 1)
    reward_per_point: int = Field(ge=0, lt=2**80)
    epoch_reward_cap: int = Field(ge=0, lt=2**88)


class RuleSet(_Strict):
    """A complete rule set. ``notices`` holds the off-chain reminder and warning rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_id: Literal["consensus-credit/ruleset-1"] = Field(alias="schema")
    label: str = Field(min_length=1, max_length=80)
    description: Text
    terms: Terms
    categories: tuple[Category, ...] = Field(min_length=1)
    notices: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        ids = [c.id for c in self.categories]
        keys = [c.key for c in self.categories]
        if len(set(ids)) != len(ids) or len(set(keys)) != len(keys):
            raise ValueError("category ids and keys must be unique")
        return self

    @model_validator(mode="after")
    def _no_one_kind_credit(self, info: ValidationInfo) -> RuleSet:
        # Raised as a RuleError, not a ValueError: pydantic passes it through unwrapped, and it
        # runs only once the document is otherwise valid.
        if (info.context or {}).get("published"):
            return self
        found = [(c.id, c.one_kind_without_limit()) for c in self.categories]
        problems = [(cid, why) for cid, why in found if why]
        if problems:
            raise OneKindQuorumError(
                "the rule set is refused: " + "; ".join(why for _, why in problems),
                [cid for cid, _ in problems],
            )
        return self

    def category(self, key_or_id: str | int) -> Category:
        """The category with this key or id; raises RuleError if there is none."""
        for c in self.categories:
            if key_or_id in (c.key, c.id):
                return c
        raise RuleError(f"unknown category {key_or_id!r}: see the rule set's categories")

    def canonical_json(self) -> bytes:
        """The canonical bytes that are hashed: sorted keys, compact, UTF-8."""
        data = self.model_dump(mode="json", by_alias=True)
        for category in data["categories"]:
            if category.get("description") is None:
                category.pop("description", None)  # absent and null hash alike: as before
        return canonical_json(data)

    def content_hash(self) -> bytes:
        """keccak-256 of :meth:`canonical_json`, as published on chain."""
        return keccak(self.canonical_json())

    def onchain_categories(self) -> tuple[list[int], list[tuple[Any, ...]]]:
        """Category ids (ascending) and ``CategoryRule`` tuples for ``RuleBook.publish``."""
        ordered = sorted(self.categories, key=lambda c: c.id)
        rules = [
            (
                c.points_per_unit,
                c.max_units,
                c.cap_per_epoch,
                c.confirmation.min_confirmations,
                c.confirmation.threshold,
                c.confirmation.kind_weights(),
                c.confirmation.required_mask(),
                c.negative,
                c.automated,
                False,  # active: set on chain
            )
            for c in ordered
        ]
        return [c.id for c in ordered], rules

    def onchain_terms(self) -> tuple[bytes, int, int, int, int]:
        """``RuleSetTerms`` tuple for ``RuleBook.publish``."""
        t = self.terms
        return (
            self.content_hash(),
            t.expiry_epochs,
            t.appeal_window_seconds,
            t.reward_per_point,
            t.epoch_reward_cap,
        )


def canonical_json(data: Any) -> bytes:
    """Serialise ``data`` canonically (RFC 8785 style for the JSON subset we use)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def parse_ruleset(data: dict[str, Any], *, published: bool = False) -> RuleSet:
    """Validate a rule-set document; raises RuleError naming each problem.

    A category evaluators of one kind alone could credit without limit is refused
    (:class:`OneKindQuorumError`) unless ``published``: the document of a version already on
    chain (the auditor's input, the gateway's version in force) is read as it is, since refusing
    to read it undoes nothing; the auditor reports such a version from chain data.
    """
    try:
        return RuleSet.model_validate(data, context={"published": published})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise RuleError(f"the rule set is invalid: {problems}") from exc


def load_ruleset(path: str | Path, *, published: bool = False) -> RuleSet:
    """Read and validate a rule-set file (``published``: see :func:`parse_ruleset`)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"rule-set file {p} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise RuleError(f"rule-set file {p} is not valid JSON: {exc}") from exc
    return parse_ruleset(data, published=published)


DEFAULT_RULESET = Path(__file__).resolve().parents[1] / "rules" / "city-default.json"
