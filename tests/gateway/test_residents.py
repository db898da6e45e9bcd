"""A resident's view over HTTP: summary, notices (polled and streamed), acks, export, evidence."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from credit.chain import role_id
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.indexer import Indexer
from tests.support.auth_helpers import sign_in
from tests.support.world import PUBLIC, SUPERIOR, World


@pytest.fixture
def app_client(services: Services, gateway_world: World) -> Iterator[TestClient]:
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    with TestClient(create_app(services)) as c:
        yield c


def _violation(w: World, resident_index: int = 0) -> bytes:
    """A littering report by the expert, confirmed by a superior and the panel."""
    signed, rid = w.report(w.expert, w.residents[resident_index])
    ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
    w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    return rid


def _sync(services: Services) -> None:
    services.indexer.sync()


def test_summary_and_notices_name_rule_version_hash_and_evidence(
    app_client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[0]
    w.credit_one(a, 1, 3)
    rid = _violation(w)
    _violation(w)  # two violations in the window: the repeated-violations warning applies
    _sync(services)
    headers = sign_in(app_client, a.key)
    summary = app_client.get(f"/v1/residents/{a.address}", headers=headers).json()
    assert summary["credit"] == w.credit(a) == 0  # 30 earned, two deductions of up to 20
    body = app_client.get(f"/v1/residents/{a.address}/notices", headers=headers).json()
    notices = body["notices"]
    warnings = [n for n in notices if n["kind"] == "warning"]
    assert warnings, notices
    onchain_hash = "0x" + w.ruleset.content_hash().hex()
    for n in notices:
        assert n["rule_id"] and n["rule_set_version"] == 1 and n["rule_set_hash"] == onchain_hash
        assert set(n["message"]) == {"en", "zh"} and "{" not in n["message"]["en"]
        assert n["acknowledged"] is False
    warning = next(n for n in warnings if n["evidence"])
    assert any(e["record_id"] == "0x" + rid.hex() for w_ in warnings for e in w_["evidence"])
    assert warning["appeal"] and warning["appeal"]["record_ids"]
    assert all(e["tx_hash"].startswith("0x") and e["block_number"] > 0 for e in warning["evidence"])
    # acknowledging is idempotent and shows up
    url = f"/v1/residents/{a.address}/notices/{warning['id']}/ack"
    assert app_client.post(url, headers=headers).status_code == 204
    assert app_client.post(url, headers=headers).status_code == 204
    again = app_client.get(f"/v1/residents/{a.address}/notices", headers=headers).json()["notices"]
    assert next(n for n in again if n["id"] == warning["id"])["acknowledged"] is True
    bogus = f"/v1/residents/{a.address}/notices/0x{'00' * 32}/ack"
    assert app_client.post(bogus, headers=headers).status_code == 404


def test_a_resident_reads_only_their_own_notices(
    app_client: TestClient, gateway_world: World
) -> None:
    residents = gateway_world.residents[:3]
    headers = {r.address: sign_in(app_client, r.key) for r in residents}
    for reader in residents:
        for owner in residents:
            r = app_client.get(
                f"/v1/residents/{owner.address}/notices", headers=headers[reader.address]
            )
            if reader is owner:
                assert r.status_code == 200
            else:
                assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert app_client.get(f"/v1/residents/{residents[0].address}/notices").status_code == 401


def test_notices_stream_as_server_sent_events(
    app_client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[1]
    _violation(w, 1)
    _violation(w, 1)  # the repeated-violations warning is due at once
    _sync(services)
    headers = sign_in(app_client, a.key)
    url = f"/v1/residents/{a.address}/notices/stream?limit=1&max_seconds=20"
    with app_client.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    event = json.loads(lines[0].removeprefix("data: "))
    assert event["resident"] == a.address.lower() and event["rule_id"]
    assert services.indexer._listeners == [], "a closed stream must not leave a listener behind"


def test_export_is_for_arbiters_and_admins(
    app_client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    _violation(w, 2)
    _violation(w, 2)
    _sync(services)
    assert (
        app_client.get(
            "/v1/notices/export", headers=sign_in(app_client, w.residents[2].key)
        ).status_code
        == 403
    )
    r = app_client.get("/v1/notices/export", headers=sign_in(app_client, w.arbiter.key))
    assert r.status_code == 200
    exported = json.loads(r.content)
    assert exported["as_of_block"] == services.indexer.status()["block_number"]
    assert any(n["resident"] == w.residents[2].address.lower() for n in exported["notices"])


def test_evidence_over_http(app_client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    owner, peer = w.residents[0], w.residents[1]
    h_owner, h_peer = sign_in(app_client, owner.key), sign_in(app_client, peer.key)
    up = app_client.post(
        "/v1/evidence",
        content=b"minutes of the clean-up",
        headers={**h_owner, "Content-Type": "text/plain"},
    )
    assert up.status_code == 201, up.text
    ident, commitment = up.json()["id"], up.json()["commitment"]
    assert app_client.get(f"/v1/evidence/{ident}/content", headers=h_peer).status_code == 403
    w.operator.send(w.ledger.functions.grantRole(role_id("EXPERT_ROLE"), peer.address))
    # role reads are cached briefly; the owner can always read
    got = app_client.get(f"/v1/evidence/{ident}/content", headers=h_owner)
    assert got.content == b"minutes of the clean-up"
    from credit.gateway.evidence import commitment_of

    assert (
        commitment_of(bytes.fromhex(got.headers["X-Evidence-Salt"][2:]), got.content) == commitment
    )
    assert app_client.delete(f"/v1/evidence/{ident}", headers=h_peer).status_code == 403
    assert app_client.delete(f"/v1/evidence/{ident}", headers=h_owner).json()["erased"] is True
    assert app_client.get(f"/v1/evidence/{ident}/content", headers=h_owner).status_code == 410
    too_big = app_client.post(
        "/v1/evidence",
        content=b"x" * (5 * 1024 * 1024 + 1),
        headers={**h_owner, "Content-Type": "text/plain"},
    )
    assert too_big.status_code == 413
