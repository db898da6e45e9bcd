"""Reading a deployment's own history (role changes, counts) from its events."""

from __future__ import annotations

from typing import Any

from credit.chain.deploy import System, role_id
from credit.vocabulary import ALL_ROLES

_ROLE_BY_ID = {role_id(n): n for n in ALL_ROLES}


def role_events(system: System) -> list[dict[str, Any]]:
    """Every RoleGranted / RoleRevoked of both contracts, in chain order, with who did it."""
    out: list[dict[str, Any]] = []
    start = system.record.start_block
    for label, contract in (("RuleBook", system.rule_book), ("CreditLedger", system.ledger)):
        for name in ("RoleGranted", "RoleRevoked"):
            for log in getattr(contract.events, name)().get_logs(from_block=start):
                if log["address"] != contract.address:
                    continue
                role = bytes(log["args"]["role"])
                out.append(
                    {
                        "contract": label,
                        "event": name,
                        "role": _ROLE_BY_ID.get(role, "0x" + role.hex()),
                        "account": log["args"]["account"],
                        "by": log["args"]["sender"],
                        "block": log["blockNumber"],
                        "tx": log["transactionHash"].to_0x_hex(),
                        "log_index": log["logIndex"],
                    }
                )
    out.sort(key=lambda e: (e["block"], e["log_index"]))
    return out


def role_holders(system: System) -> dict[str, list[str]]:
    """Current holders of each role (from the event history), by role name."""
    holders: dict[tuple[str, str], set[str]] = {}
    for e in role_events(system):
        key = (e["contract"], e["role"])
        accounts = holders.setdefault(key, set())
        (accounts.add if e["event"] == "RoleGranted" else accounts.discard)(e["account"])
    return {f"{c}.{r}": sorted(a) for (c, r), a in sorted(holders.items()) if a}


def count_events(system: System, name: str) -> int:
    """How many ``name`` events the ledger emitted."""
    logs = getattr(system.ledger.events, name)().get_logs(from_block=system.record.start_block)
    return sum(1 for log in logs if log["address"] == system.ledger.address)
