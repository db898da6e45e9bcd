"""The gateway's notices are recomputed from chain data alone and compared notice by notice.

The "gateway export" here is built the gateway's way, independently of the auditor: the indexer
(database, its own event reading) gives the facts, evaluator roles come from AccessControl, and
the pure engine renders them. The auditor must find it byte-identical, and name each notice that
is altered, missing or extra.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.audit.notices_compare import parse_export
from credit.audit.run import NoticesInput
from credit.chain.deploy import attach
from credit.chain.history import role_holders
from credit.chain.rpc_reads import reader_for
from credit.gateway.notices_service import NoticeService
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.notices import canonical_notices_json, evaluate
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.schema import create_schema
from tests.audit.helpers import audit, codes, described
from tests.support.ledger_flows import ZERO32, credit, relay_violation
from tests.support.world import PEER, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


KINDS = {"SUPERIOR_ROLE": 0, "PUBLIC_PANEL_ROLE": 2, "EXPERT_ROLE": 3}


def gateway_export(
    world: World, ruleset: RuleSet, tmp_path: Path, *, roles: bool = True, url: str | None = None
) -> bytes:
    """The gateway's own export (its NoticeService over its indexer); without roles, a hand-made
    export of the engine's output with no evaluator roles."""
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.sqlite'}" if url is None else url)
    create_schema(engine)
    indexer = Indexer(world.system, engine)
    indexer.sync()
    if roles:
        services = Services(Settings(data_dir=tmp_path), engine, world.system, ruleset, None)  # type: ignore[arg-type]
        services.indexer = indexer
        raw = NoticeService(services).export()
        engine.dispose()
        return raw
    kinds: dict[str, set[int]] = {}
    for key, holders in role_holders(world.system).items():
        contract, name = key.split(".")
        if contract == "CreditLedger" and name in KINDS:
            for holder in holders:
                kinds.setdefault(holder.lower(), set()).add(KINDS[name])
    notices = evaluate(ruleset, 1, indexer.facts(), roles=kinds if roles else None)
    engine.dispose()
    return canonical_notices_json(notices)


@pytest.fixture
def noticed(world: World) -> World:
    """A world with notices due: a claim waiting for confirmations, a violation to appeal."""
    r = world.residents
    for resident in r[:3]:
        credit(world, resident)
    relay_violation(world, r[0])
    fn = world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32)
    (event,) = world.events(r[4].send(fn), "ClaimSubmitted")
    r[5].send(world.ledger.functions.confirm(bytes(event["args"]["recordId"]), PEER))
    world.advance(12 * 86400)  # the claim has waited; the appeal deadline is 2 days away
    return world


def _input(world: World, artifacts: dict[str, Artifact], raw: bytes) -> NoticesInput:
    export = parse_export(raw)
    system = attach(world.w3, world.system.record, artifacts)
    head = world.w3.eth.block_number
    assert export.created_at is not None
    block = reader_for(system).block_at_or_before(
        export.created_at, system.record.start_block, head
    )
    return NoticesInput(export, block, int(world.w3.eth.get_block(block)["timestamp"]))


def _notices(raw: bytes) -> list[dict[str, Any]]:
    data = json.loads(raw)
    return data["notices"] if isinstance(data, dict) else data


def _drop(notices: list[dict[str, Any]]) -> None:
    notices.pop(0)


def _alter(notices: list[dict[str, Any]]) -> None:
    notices[0]["message"]["en"] += " Act now!"


def _add(notices: list[dict[str, Any]]) -> None:
    notices.append({**notices[0], "id": "0x" + "ab" * 32})


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        pytest.param(_drop, "notices.missing", id="missing"),
        pytest.param(_alter, "notices.altered", id="altered"),
        pytest.param(_add, "notices.extra", id="extra"),
    ],
)
def test_a_tampered_export_names_the_notice(
    noticed: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    tmp_path: Path,
    database_url: str,
    tamper: Callable[[list[dict[str, Any]]], None],
    code: str,
) -> None:
    raw = gateway_export(noticed, ruleset, tmp_path, url=database_url)
    clean = audit(noticed, artifacts, ruleset, notices=_input(noticed, artifacts, raw))
    assert clean.clean, described(clean)
    assert clean.notices is not None and clean.notices.identical
    notices = _notices(raw)
    assert {n["rule_id"] for n in notices} >= {"claim-waiting", "appeal-deadline"}
    tamper(notices)
    result = audit(
        noticed,
        artifacts,
        ruleset,
        notices=_input(noticed, artifacts, json.dumps(notices).encode()),
    )
    assert codes(result) == {code}, described(result)
    (found,) = result.found.kept
    changed = _notices(raw)[0]["id"] if code != "notices.extra" else "0x" + "ab" * 32
    assert found.data["notice"] == changed
    if code == "notices.altered":
        assert found.data["fields"] == ["message"]


def test_an_export_without_evaluator_roles_misses_the_officials_notices(
    noticed: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    tmp_path: Path,
    database_url: str,
) -> None:
    raw = gateway_export(noticed, ruleset, tmp_path, roles=False, url=database_url)
    result = audit(noticed, artifacts, ruleset, notices=_input(noticed, artifacts, raw))
    assert codes(result) == {"notices.missing"}, described(result)
    officials = {noticed.superior.address.lower(), noticed.panel.address.lower()}
    assert {d.data["resident"] for d in result.found.kept} <= officials | {
        a.address.lower() for a in (noticed.superior2, noticed.panel2, noticed.expert)
    }
    assert {d.data["rule"] for d in result.found.kept} == {"confirmations-requested"}
