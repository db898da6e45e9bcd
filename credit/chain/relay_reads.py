"""On-chain facts the relay checks before spending gas: time, nonces, roles, rules in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from credit import vocabulary
from credit.chain.deploy import System, role_id
from credit.errors import ChainError
from credit.facts import CategoryRule
from credit.vocabulary import EvaluatorKind

# EvaluatorKind -> the AccessControl role it needs (PEER needs registration instead).
KIND_ROLES = vocabulary.KIND_ROLES
PEER = EvaluatorKind.PEER


@dataclass(frozen=True)
class RuleInForce(CategoryRule):
    """A category's rule in the rule version in force."""

    version: int = field(kw_only=True)


def chain_time(system: System) -> int:
    """Timestamp of the latest block: the clock deadlines are checked against."""
    return int(system.w3.eth.get_block("latest")["timestamp"])


def claim_nonce(system: System, resident: str) -> int:
    """The resident's next claim nonce on chain."""
    return int(system.ledger.functions.claimNonce(to_checksum_address(resident)).call())


def is_resident(system: System, account: str) -> bool:
    """Whether ``account`` is a registered resident."""
    return bool(system.ledger.functions.isResident(to_checksum_address(account)).call())


def can_confirm_as(system: System, evaluator: str, kind: int) -> bool:
    """Whether ``evaluator`` may confirm as EvaluatorKind ``kind`` (role; registration for PEER)."""
    if kind == PEER:
        return is_resident(system, evaluator)
    role = KIND_ROLES.get(kind)
    if role is None:
        return False
    fn = system.ledger.functions.hasRole(role_id(role), to_checksum_address(evaluator))
    return bool(fn.call())


def is_evaluator(system: System, account: str) -> bool:
    """Whether ``account`` holds any official evaluator role (SUPERIOR, PUBLIC panel, EXPERT)."""
    return any(can_confirm_as(system, account, kind) for kind in KIND_ROLES)


def rule_in_force(system: System, category: int) -> RuleInForce | None:
    """The rule of ``category`` in the version in force, or None if the category is unknown."""
    try:
        version, rule = system.rule_book.functions.ruleInForce(category).call()
    except ChainError:
        raise  # NodeUnavailable from the transport
    except Exception as exc:
        err = system.decoder.from_exception(exc)
        if getattr(err, "name", "") == "RuleBookUnknownCategory":
            return None
        raise err from exc
    fields = dict(zip(_rule_fields(system), rule, strict=True))
    if not fields["active"]:
        return None
    return RuleInForce.from_struct(category, fields, version=int(version))


def _rule_fields(system: System) -> list[str]:
    """The CategoryRule field names, from the ABI (robust to fields added to the struct)."""
    fn: dict[str, Any] = next(
        dict(i) for i in system.rule_book.abi if i.get("name") == "ruleInForce"
    )
    return [c["name"] for c in fn["outputs"][1]["components"]]
