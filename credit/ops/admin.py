"""Administration: roles, the resident register, rule-set publication and status."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address, to_checksum_address

from credit.chain import role_id
from credit.chain.deploy import ROLE_NAMES, System
from credit.chain.history import count_events, role_holders
from credit.chain.tx import Transactor
from credit.errors import CreditError
from credit.rule_documents import archive, document_uri
from credit.ruleset import RuleSet
from credit.settings import Settings

_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")  # 0X: a spreadsheet's UPPER()
BATCH = 200


def address_problem(value: str) -> str | None:
    """Why ``value`` is not an address to accept, or None. Any case is accepted where it is
    unambiguous: all lowercase, all uppercase, or mixed case that is a valid EIP-55 checksum."""
    if not _ADDRESS.match(value):
        return "not an address (0x followed by 40 hex digits)"
    digits = value[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address("0x" + digits):
        return "mixed case but not a valid EIP-55 checksum (a typo?): check the address"
    return None


def normalise_address(value: str, label: str = "address") -> str:
    """``value`` in its checksummed form; a clear error naming ``label`` otherwise."""
    value = value.strip()
    problem = address_problem(value)
    if problem:
        raise CreditError(f"{label} {value!r}: {problem}")
    return str(to_checksum_address("0x" + value[2:]))


def role_name(role: str) -> str:
    """A ledger role by name, with or without ``_ROLE`` and in any case (``superior``)."""
    name = role.strip().upper()
    name = name if name.endswith("_ROLE") else f"{name}_ROLE"
    if name not in ROLE_NAMES:
        raise CreditError(f"unknown role {role!r}: use one of {', '.join(ROLE_NAMES)}")
    return name


def grant(system: System, tx: Transactor, role: str, account: str, *, revoke: bool = False) -> str:
    """Grant (or revoke) a ledger role; returns the transaction hash."""
    role = role_name(role)
    account = normalise_address(account)
    fn = system.ledger.functions.revokeRole if revoke else system.ledger.functions.grantRole
    receipt = tx.send(fn(role_id(role), account), gas=150_000)
    return str(receipt["transactionHash"].to_0x_hex())


@dataclass(frozen=True)
class RowProblem:
    line: int
    value: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.value!r}: {self.problem}"


def read_resident_csv(path: Path, is_registered: Callable[[str], bool]) -> list[str]:
    """Addresses from a CSV with an ``address`` column; every bad row is reported, none applied."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CreditError(f"cannot read {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or "address" not in reader.fieldnames:
        raise CreditError(f"{path}: the first line must be a header with an 'address' column")
    extra = [f for f in reader.fieldnames if f != "address"]
    if extra:
        raise CreditError(
            f"{path}: only an 'address' column is accepted (found {extra}); "
            "the register holds addresses only, never names or other personal data"
        )
    seen: dict[str, int] = {}
    problems: list[RowProblem] = []
    addresses: list[str] = []
    for line, row in enumerate(reader, start=2):
        value = (row.get("address") or "").strip()
        problem = address_problem(value)
        if problem:
            problems.append(RowProblem(line, value, problem))
            continue
        value = normalise_address(value)  # the node's client refuses other forms
        key = value.lower()
        if int(key, 16) == 0:
            problems.append(RowProblem(line, value, "the zero address cannot be a resident"))
        elif key in seen:
            problems.append(RowProblem(line, value, f"duplicate of line {seen[key]}"))
        elif is_registered(value):
            problems.append(RowProblem(line, value, "already registered"))
        else:
            seen[key] = line
            addresses.append(value)
    if problems:
        listing = "\n  ".join(str(p) for p in problems)
        raise CreditError(
            f"{path}: {len(problems)} bad row(s), nothing was registered:\n  {listing}"
        )
    return addresses


def register_residents(
    system: System, tx: Transactor, addresses: list[str], progress: Callable[[int], None]
) -> list[str]:
    """Register ``addresses`` in batches (validated beforehand); returns transaction hashes."""
    hashes = []
    for i in range(0, len(addresses), BATCH):
        chunk = [system.w3.to_checksum_address(a) for a in addresses[i : i + BATCH]]
        receipt = tx.send(
            system.ledger.functions.registerResidents(chunk), gas=60_000 + 30_000 * len(chunk)
        )
        hashes.append(receipt["transactionHash"].to_0x_hex())
        progress(len(chunk))
    return hashes


def rules_diff(system: System, ruleset: RuleSet) -> dict[str, Any]:
    """What the new rule set changes against the version in force (from on-chain data)."""
    in_force, pending, pending_at = system.rule_book.functions.versions().call()
    current: dict[int, tuple[Any, ...]] = {}
    if in_force:
        for cat in system.rule_book.functions.categoriesOf(in_force).call():
            current[cat] = tuple(system.rule_book.functions.ruleAt(in_force, cat).call())
    ids, rules = ruleset.onchain_categories()
    proposed = {i: (*r[:-1], True) for i, r in zip(ids, rules, strict=True)}
    fields = (
        "points_per_unit",
        "max_units",
        "cap_per_epoch",
        "min_confirmations",
        "threshold",
        "kind_weights",
        "required_kinds",
        "negative",
        "active",
    )
    changes = []
    for cat in sorted(set(current) | set(proposed)):
        old, new = current.get(cat), proposed.get(cat)
        if old is None:
            changes.append({"category": cat, "change": "added"})
        elif new is None:
            changes.append({"category": cat, "change": "removed"})
        else:
            diffs = {f: [o, n] for f, o, n in zip(fields, old, new, strict=True) if o != n}
            if diffs:
                changes.append({"category": cat, "change": "changed", "fields": diffs})
    notice = system.rule_book.functions.noticePeriod().call()
    return {
        "in_force": in_force,
        "pending": pending,
        "pending_effective_at": pending_at,
        "notice_seconds": notice,
        "categories": changes,
        "content_hash": "0x" + ruleset.content_hash().hex(),
    }


def document_uri_for_next(system: System, ruleset: RuleSet, settings: Settings) -> str:
    """Keep ``ruleset``'s canonical bytes where the gateway serves them, and return the URI they
    are served at as the next version (what ``credit rules publish`` puts on chain)."""
    archive(ruleset, settings.rule_documents())
    next_version = int(system.rule_book.functions.latestVersion().call()) + 1
    return document_uri(settings.rules_base_url(), next_version)


def publish(system: System, tx: Transactor, ruleset: RuleSet, uri: str) -> dict[str, Any]:
    """Publish ``ruleset``; returns the new version and when it takes effect."""
    ids, rules = ruleset.onchain_categories()
    fn = system.rule_book.functions.publish(ruleset.onchain_terms(), uri, ids, rules)
    receipt = tx.send(fn, gas=4_000_000)
    (event,) = [
        e
        for e in system.rule_book.events.RuleSetPublished().process_receipt(receipt)
        if e["address"] == system.rule_book.address
    ]
    return {
        "version": event["args"]["ruleVersion"],
        "effective_at": event["args"]["effectiveAt"],
        "tx": receipt["transactionHash"].to_0x_hex(),
    }


def status(system: System) -> dict[str, Any]:
    """Chain, contracts, versions, roles and counts."""
    w3 = system.w3
    in_force, pending, pending_at = system.rule_book.functions.versions().call()
    registered = count_events(system, "ResidentRegistered") - count_events(
        system, "ResidentDeregistered"
    )
    return {
        "chain_id": int(w3.eth.chain_id),
        "block": int(w3.eth.block_number),
        "network": system.record.network,
        "contracts": {
            "RuleBook": {
                "address": system.rule_book.address,
                "version": system.rule_book.functions.version().call(),
            },
            "CreditLedger": {
                "address": system.ledger.address,
                "version": system.ledger.functions.version().call(),
            },
        },
        "rules": {"in_force": in_force, "pending": pending, "pending_effective_at": pending_at},
        "epoch": system.ledger.functions.currentEpoch().call(),
        "roles": role_holders(system),
        "counts": {
            "residents": registered,
            "records_credited": count_events(system, "RecordCredited"),
            "violations": count_events(system, "ViolationRecorded"),
            "reward_payments": count_events(system, "RewardMinted"),
        },
    }
