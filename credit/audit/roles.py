"""Who held which role, and who was a registered resident, at any position on chain.

Built from AccessControl's ``RoleGranted`` / ``RoleRevoked`` of both contracts and the ledger's
``ResidentRegistered`` / ``ResidentDeregistered``. A position is ``(block, log index)``: a role
revoked earlier in the same block (lower log index) is already gone for a later record.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from credit.audit.model import ChainEvent, Position
from credit.facts import Evidence
from credit.vocabulary import ALL_ROLES, KIND_ROLES, OFFICIAL_ROLES, EvaluatorKind

LEDGER, RULE_BOOK = "CreditLedger", "RuleBook"


def _role_id(name: str) -> str:
    raw = bytes(32) if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)
    return "0x" + raw.hex()


ROLE_BY_ID = {_role_id(n): n for n in ALL_ROLES}


@dataclass(frozen=True)
class RoleChange:
    """One grant or revoke: which contract, role and account, who did it and when."""

    contract: str
    role: str
    account: str
    by: str
    granted: bool
    at: Evidence

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "event": "RoleGranted" if self.granted else "RoleRevoked",
            "role": self.role,
            "account": self.account,
            "by": self.by,
            "tx_hash": self.at.tx_hash,
            "block_number": self.at.block_number,
            "log_index": self.at.log_index,
            "block_time": self.at.block_time,
        }


class RoleTimeline:
    """Role and registration history, queried by position."""

    def __init__(self, events: Iterable[ChainEvent], labels: dict[str, str]) -> None:
        self.changes: list[RoleChange] = []
        self._history: dict[tuple[str, str, str], list[tuple[Position, bool, Evidence]]] = {}
        for e in events:
            if e.name in ("RoleGranted", "RoleRevoked"):
                role = ROLE_BY_ID.get(e.args["role"], e.args["role"])
                change = RoleChange(
                    labels.get(e.address, e.address),
                    role,
                    e.args["account"],
                    e.args["sender"],
                    e.name == "RoleGranted",
                    e.evidence,
                )
                self.changes.append(change)
                self._add((change.contract, role, change.account), e, change.granted)
            elif e.name in ("ResidentRegistered", "ResidentDeregistered"):
                key = (LEDGER, "RESIDENT", e.args["resident"])
                self._add(key, e, e.name == "ResidentRegistered")

    def _add(self, key: tuple[str, str, str], e: ChainEvent, granted: bool) -> None:
        self._history.setdefault(key, []).append((e.pos, granted, e.evidence))

    def _last(self, key: tuple[str, str, str], pos: Position) -> tuple[bool, Evidence] | None:
        history = self._history.get(key)
        if not history:
            return None
        i = bisect_left(history, pos, key=lambda h: h[0])
        if i == 0:
            return None
        _, granted, at = history[i - 1]
        return granted, at

    def holds(self, contract: str, role: str, account: str, pos: Position) -> bool:
        """Whether ``account`` held ``role`` on ``contract`` just before ``pos``."""
        last = self._last((contract, role, account), pos)
        return last is not None and last[0]

    def registered(self, account: str, pos: Position) -> bool:
        """Whether ``account`` was a registered resident just before ``pos``."""
        return self.holds(LEDGER, "RESIDENT", account, pos)

    def last_change(self, contract: str, role: str, account: str, pos: Position) -> Evidence | None:
        """Where the role of ``account`` last changed before ``pos`` (a revoke, typically)."""
        last = self._last((contract, role, account), pos)
        return None if last is None else last[1]

    def can_confirm(self, account: str, kind: int, pos: Position) -> bool:
        """Whether ``account`` could confirm as ``kind`` at ``pos`` (PEER: registered resident)."""
        if kind == EvaluatorKind.PEER:
            return self.registered(account, pos)
        role = KIND_ROLES.get(kind)
        return role is not None and self.holds(LEDGER, role, account, pos)

    def official(self, account: str, pos: Position) -> bool:
        """Whether ``account`` held any official evaluator role at ``pos`` (may report)."""
        return any(self.holds(LEDGER, role, account, pos) for role in OFFICIAL_ROLES)

    def evaluator_kinds(self, pos: Position) -> dict[str, set[int]]:
        """Official evaluators at ``pos`` and the kinds they may confirm as (not PEER)."""
        out: dict[str, set[int]] = {}
        for kind, role in KIND_ROLES.items():
            for (contract, name, account), _ in self._history.items():
                if contract == LEDGER and name == role and self.holds(LEDGER, role, account, pos):
                    out.setdefault(account, set()).add(kind)
        return out

    def holders(self, role: str, pos: Position) -> list[str]:
        """Accounts holding ``role`` on the ledger at ``pos`` (e.g. the arbiters), sorted."""
        return sorted(
            account
            for (contract, name, account) in self._history
            if contract == LEDGER and name == role and self.holds(LEDGER, role, account, pos)
        )
