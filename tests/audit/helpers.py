"""Shared by the audit tests: worlds on tampered contract variants, and running the auditor."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from credit.artifacts import Artifact
from credit.audit.model import ChainData
from credit.audit.replay import read_chain
from credit.audit.run import AuditResult, NoticesInput, run_checks
from credit.chain.deploy import attach
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.support.world import World, build_world


def variant_world(
    w3: Web3,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    *,
    ledger: str = "CreditLedger",
    rule_book: str = "RuleBook",
) -> World:
    """A world deployed with the usual flow but other ledger / rule-book code (test doubles)."""
    swapped = {**artifacts, "CreditLedger": artifacts[ledger], "RuleBook": artifacts[rule_book]}
    return build_world(w3, swapped, ruleset)


def replay(world: World, artifacts: dict[str, Artifact], **kw: Any) -> ChainData:
    """What the auditor reads, through the audited source's ABIs (never the variant's)."""
    system = attach(world.w3, world.system.record, artifacts)
    return read_chain(system, artifacts, **kw)


def audit(
    world: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    *,
    notices: NoticesInput | None = None,
    **kw: Any,
) -> AuditResult:
    return run_checks(replay(world, artifacts, **kw), [(DEFAULT_RULESET, ruleset)], notices)


def codes(result: AuditResult) -> set[str]:
    return set(result.found.counts)


def described(result: AuditResult) -> str:
    """Every discrepancy, for assertion messages."""
    return "\n".join(f"{d.code}: {d.message}" for d in result.found.kept) or "(clean)"
