"""Every role's reminders through the existing notices routes, held claims included.

A resident's claim held by the gateway (signed, waiting for endorsements, not on chain) reminds
its resident what to do next and the officials who may confirm it; an appeal filed on chain
reminds the arbiter. Each recipient reads only their own notices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.notices_service import NoticeService
from credit.gateway.services import Services
from credit.indexer import Indexer
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import claim_body, statuses, wire_relay
from tests.support.world import PUBLIC, SUPERIOR, World

DAY = 24 * 3600
STATEMENT = b"\x11" * 32


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    services.notices = NoticeService(services, held_ttl=0)  # see every held claim at once
    wire_relay(services)
    with TestClient(create_app(services)) as c:
        yield c


def _notices(client: TestClient, who: Any) -> list[dict[str, Any]]:
    headers = sign_in(client, who.key)
    r = client.get(f"/v1/residents/{who.address}/notices", headers=headers)
    assert r.status_code == 200, r.text
    notices: list[dict[str, Any]] = r.json()["notices"]
    return notices


def _by_rule(notices: list[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    found = [n for n in notices if n["rule_id"] == rule_id]
    assert len(found) == 1, [n["rule_id"] for n in notices]
    return found[0]


@pytest.fixture
def city(app_client: TestClient, services: Services, gateway_world: World) -> dict[str, str]:
    """A claim of resident0 held by the gateway a day and more, and resident2's appeal."""
    w = gateway_world
    body, held_id = claim_body(w, w.residents[0], 1, 2, deadline=w.now() + 5 * DAY)
    assert app_client.post("/v1/claims", json=body).status_code == 202
    signed, report_id = w.report(w.expert, w.residents[2])
    ends = w.endorse([report_id], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
    w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    w.residents[2].send(w.ledger.functions.fileAppeal(report_id, STATEMENT))
    w.advance(2 * DAY)
    services.indexer.sync()
    assert statuses(services)[held_id] == "waiting"  # held: not on chain
    return {"held": held_id, "appealed": "0x" + report_id.hex()}


def test_the_resident_hears_what_their_held_claim_still_needs(
    app_client: TestClient, gateway_world: World, city: dict[str, str]
) -> None:
    waiting = _by_rule(_notices(app_client, gateway_world.residents[0]), "claim-waiting")
    assert waiting["rule_set_version"] == 1 and waiting["kind"] == "reminder"
    assert waiting["evidence"] == [
        {"record_id": city["held"], "tx_hash": None, "block_number": None, "log_index": None}
    ]
    assert waiting["data"]["on_chain"] is False
    assert "a superior (organiser or department) and a fellow resident" in waiting["message"]["en"]
    assert "share link" in waiting["message"]["en"] and "分享链接" in waiting["message"]["zh"]


@pytest.mark.parametrize(
    ("official", "asked"),
    [
        pytest.param("superior", True, id="superior"),
        pytest.param("panel", True, id="public-panel"),  # public panel weighs 1 in volunteering
        pytest.param("expert", True, id="expert"),
        pytest.param("arbiter", False, id="arbiter"),
        pytest.param("minter", False, id="minter"),
        pytest.param("resident1", False, id="peer"),  # held claims are private: share links
    ],
)
def test_officials_are_asked_to_confirm_held_claims(
    app_client: TestClient,
    gateway_world: World,
    city: dict[str, str],
    official: str,
    asked: bool,
) -> None:
    notices = _notices(app_client, getattr(gateway_world, official))
    requested = [n for n in notices if n["rule_id"] == "confirmations-requested"]
    ids = [e["record_id"] for n in requested for e in n["evidence"]]
    assert (city["held"] in ids) is asked


def test_the_arbiter_hears_of_the_appeal_waiting(
    app_client: TestClient, gateway_world: World, city: dict[str, str]
) -> None:
    w = gateway_world
    waiting = _by_rule(_notices(app_client, w.arbiter), "appeals-waiting")
    assert waiting["rule_set_version"] == 1
    assert waiting["rule_set_hash"] == "0x" + w.ruleset.content_hash().hex()
    assert [e["record_id"] for e in waiting["evidence"]] == [city["appealed"]]
    assert waiting["evidence"][0]["tx_hash"].startswith("0x")
    assert "1 appeal(s) are waiting for a decision" in waiting["message"]["en"]
    for other in ("superior", "panel", "expert", "minter", "resident2"):
        notices = _notices(app_client, getattr(w, other))
        assert not [n for n in notices if n["rule_id"] == "appeals-waiting"], other


def test_the_export_leaves_held_claims_out(
    app_client: TestClient, services: Services, city: dict[str, str]
) -> None:
    """What auditors recompute from the chain: the arbiter's reminder, no held claim."""
    assert services.notices is not None
    body = services.notices.export().decode()
    assert city["appealed"] in body and city["held"] not in body


@pytest.mark.parametrize(
    "reader", ["superior", "panel", "expert", "arbiter", "minter", "resident1", "operator"]
)
def test_each_role_reads_only_its_own_reminders(
    app_client: TestClient, gateway_world: World, reader: str
) -> None:
    w = gateway_world
    headers = sign_in(app_client, getattr(w, reader).key)
    for owner in ("arbiter", "superior", "resident0"):
        if owner == reader:
            continue
        url = f"/v1/residents/{getattr(w, owner).address}/notices"
        assert app_client.get(url, headers=headers).status_code == 403, (reader, owner)
    assert app_client.get(f"/v1/residents/{w.arbiter.address}/notices").status_code == 401
