"""The ledger's words, defined once: evaluator kinds, roles and the kinds of category.

Numbered and named as the contracts name them (``contracts/Common.sol``, the AccessControl roles
of ``CreditLedger`` and ``RuleBook``), so that the chain layer, the relay, the auditor, the
notices and the web client's configuration (``GET /v1/config``) all speak of the same things by
the same names. Pure constants: every layer may import this module.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal


class EvaluatorKind(IntEnum):
    """Evaluator kinds, numbered as in ``contracts/Common.sol``."""

    SUPERIOR = 0
    PEER = 1
    PUBLIC = 2
    EXPERT = 3


# ("SUPERIOR", "PEER", "PUBLIC", "EXPERT"): a kind's name by its number
KIND_NAMES: tuple[str, ...] = tuple(k.name for k in EvaluatorKind)

# The AccessControl roles, as named on chain. The admin's is the zero id; the governor's is the
# rule book's; the others are the ledger's, which an operator may grant (`credit roles grant`).
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
GOVERNOR_ROLE = "GOVERNOR_ROLE"
REGISTRAR_ROLE = "REGISTRAR_ROLE"
SUPERIOR_ROLE = "SUPERIOR_ROLE"
PUBLIC_PANEL_ROLE = "PUBLIC_PANEL_ROLE"
EXPERT_ROLE = "EXPERT_ROLE"
ARBITER_ROLE = "ARBITER_ROLE"
MINTER_ROLE = "MINTER_ROLE"
VERIFIER_ROLE = "VERIFIER_ROLE"
GRANTABLE_ROLES: tuple[str, ...] = (
    REGISTRAR_ROLE,
    SUPERIOR_ROLE,
    PUBLIC_PANEL_ROLE,
    EXPERT_ROLE,
    ARBITER_ROLE,
    MINTER_ROLE,
    VERIFIER_ROLE,
)
ALL_ROLES: tuple[str, ...] = (DEFAULT_ADMIN_ROLE, GOVERNOR_ROLE, *GRANTABLE_ROLES)

# The role whose holders confirm as each official kind; a PEER is any registered resident.
KIND_ROLES: dict[int, str] = {
    EvaluatorKind.SUPERIOR: SUPERIOR_ROLE,
    EvaluatorKind.PUBLIC: PUBLIC_PANEL_ROLE,
    EvaluatorKind.EXPERT: EXPERT_ROLE,
}
OFFICIAL_ROLES: tuple[str, ...] = tuple(KIND_ROLES.values())

# A category credits good deeds or records violations (``negative`` in the rule set).
CategoryKind = Literal["credit", "violation"]
CATEGORY_KINDS: tuple[CategoryKind, ...] = ("credit", "violation")


def category_kind(negative: bool) -> CategoryKind:
    """The kind of a category whose rule has ``negative`` as given."""
    return "violation" if negative else "credit"


def kind_names(mask: int) -> list[str]:
    """The names of the kinds whose bits are set in ``mask`` (``requiredKinds``' encoding)."""
    return [name for i, name in enumerate(KIND_NAMES) if mask >> i & 1]


def short_role(role: str) -> str:
    """``SUPERIOR_ROLE`` → ``SUPERIOR``: the name the gateway's role checks use."""
    return role.removesuffix("_ROLE")
