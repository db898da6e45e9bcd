"""What a condition finds about one recipient, before it becomes a :class:`~.engine.Notice`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from credit.errors import RuleError
from credit.facts import ViolationRecord
from credit.notices.ledger import LedgerView
from credit.notices.render import Localized, Value, category_title, category_unit
from credit.ruleset import Category, EvaluatorKind


@dataclass(frozen=True)
class Finding:
    """One condition met for one recipient.

    ``scope`` is added to the notice id next to the evidence keys when the evidence alone does
    not say which occurrence this is (e.g. the epoch of a cap or a median window).
    ``appeal`` lists the violations the notice's appeal path covers (None: no appeal path).
    """

    resident: str
    evidence: tuple[dict[str, Any], ...]
    data: dict[str, Any]
    values: dict[str, Value]
    scope: dict[str, Any] = field(default_factory=dict)
    appeal: tuple[ViolationRecord, ...] | None = None


@dataclass(frozen=True)
class Context:
    """Inputs every condition sees: the ledger view, evaluator roles, the wanted recipients."""

    view: LedgerView
    roles: Mapping[str, frozenset[EvaluatorKind]]
    recipients: frozenset[str] | None  # None: everyone
    arbiters: frozenset[str] = frozenset()  # holders of ARBITER_ROLE

    def wants(self, address: str) -> bool:
        """Whether notices for ``address`` are wanted in this evaluation."""
        return self.recipients is None or address in self.recipients

    def people(self) -> Iterator[str]:
        """Residents (and anyone with ledger facts) whose notices are wanted, sorted."""
        return (p for p in self.view.people if self.wants(p))

    def category(self, category_id: int) -> Category | None:
        """The rule set's category with this id, or None if it has none."""
        try:
            return self.view.ruleset.category(category_id)
        except RuleError:
            return None

    def title(self, category_id: int) -> tuple[Localized, Localized]:
        """Title and unit of a category, with a neutral fallback for an unknown id."""
        c = self.category(category_id)
        if c is None:
            return Localized(f"category {category_id}", f"类别{category_id}"), Localized(
                "unit", "单位"
            )
        return category_title(c), category_unit(c)


Condition = Callable[[Any, Context], Iterator[Finding]]
