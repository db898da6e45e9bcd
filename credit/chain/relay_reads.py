"""On-chain facts the relay checks before spending gas: time, nonces, roles, rules in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from credit import vocabulary
from credit.chain.deploy import System, role_id
from credit.errors import ChainError
from credit.vocabulary import EvaluatorKind

# EvaluatorKind -> the AccessControl role it needs (PEER needs registration instead).
KIND_ROLES = vocabulary.KIND_ROLES
PEER = EvaluatorKind.PEER


@dataclass(frozen=True)
class RuleInForce:
    """A category's rule in the rule version in force (see CategoryRule in Common.sol)."""

    version: int
    category: int
    points_per_unit: int
    max_units: int
    cap_per_epoch: int
    min_confirmations: int
    threshold: int
    kind_weights: int  # 4 bits per EvaluatorKind, SUPERIOR lowest
    required_kinds: int  # bit i = EvaluatorKind(i) required
    negative: bool
    automated: bool = False  # credited only by the verifier contract, never by claims

    def weight_of(self, kind: int) -> int:
        """Weight of one confirmation of ``kind`` (0 = does not count)."""
        return (self.kind_weights >> (4 * kind)) & 0xF


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
    return RuleInForce(
        version=int(version),
        category=category,
        points_per_unit=fields["pointsPerUnit"],
        max_units=fields["maxUnits"],
        cap_per_epoch=fields["capPerEpoch"],
        min_confirmations=fields["minConfirmations"],
        threshold=fields["threshold"],
        kind_weights=fields["kindWeights"],
        required_kinds=fields["requiredKinds"],
        negative=bool(fields["negative"]),
        automated=bool(fields.get("automated", False)),
    )


def _rule_fields(system: System) -> list[str]:
    """The CategoryRule field names, from the ABI (robust to fields added to the struct)."""
    fn: dict[str, Any] = next(
        dict(i) for i in system.rule_book.abi if i.get("name") == "ruleInForce"
    )
    return [c["name"] for c in fn["outputs"][1]["components"]]
