"""Records carry the activity's date (the claim's signed ``occurredAt``), not only the block's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.indexer import Indexer
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import claim_body, confirm_body, statuses, wire_relay
from tests.support.world import PEER, SUPERIOR, World, wait_until

DAY = 86400
ZERO32 = b"\x00" * 32


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    wire_relay(services)
    with TestClient(create_app(services)) as c:
        yield c


def _records(client: TestClient, services: Services, who: object) -> dict[str, dict]:
    services.indexer.sync()  # type: ignore[union-attr]
    headers = sign_in(client, who.key)  # type: ignore[attr-defined]
    body = client.get(f"/v1/residents/{who.address}", headers=headers).json()  # type: ignore[attr-defined]
    return {r["record_id"]: r for r in body["records"]}


def test_each_record_shows_when_its_activity_happened(
    app_client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    ana = w.residents[0]
    # relayed by this gateway: the date comes from the claim it received
    relayed_at = w.now() - 3 * DAY
    body, relayed = claim_body(w, ana, 1, 1, occurred_at=relayed_at, deadline=w.now() + DAY)
    assert app_client.post("/v1/claims", json=body).status_code == 202
    for who, kind in ((w.superior, SUPERIOR), (w.residents[1], PEER)):
        confirmation = confirm_body(w, who, kind, [relayed])
        assert app_client.post("/v1/confirmations", json=confirmation).status_code == 202
    assert wait_until(lambda: statuses(services).get(relayed) == "credited", 30)
    # submitted directly on chain: the date comes from the ClaimSubmitted event
    direct_at = w.now() - 5 * DAY
    fn = w.ledger.functions.submitClaim(1, 1, direct_at, ZERO32)
    (submitted,) = w.events(ana.send(fn), "ClaimSubmitted")
    direct = "0x" + bytes(submitted["args"]["recordId"]).hex()
    # relayed by someone else: only the calldata knows, so the block's date stands
    _, other = w.credit_one(ana, 1, 1)
    records = _records(app_client, services, ana)
    assert records[relayed]["occurred_at"] == relayed_at
    assert records[relayed]["occurred_at"] < records[relayed]["block_time"] - 2 * DAY
    assert (records[direct]["kind"], records[direct]["occurred_at"]) == ("pending", direct_at)
    assert records["0x" + other.hex()]["occurred_at"] is None
