"""Public pages over HTTP, anonymous: a record (relayed and direct), a violation with its appeal,
an epoch with its rewards, an address, a transaction, rule sets with their documents and diff;
404s with clear codes; nothing off chain (evidence, statements, reasons) in any answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient

from credit.chain.signing import pack_claim
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.ops.admin import document_uri_for_next
from tests.support.ledger_flows import appeal, publish, relay_violation, resolve, variant
from tests.support.world import EPOCH, PEER, SUPERIOR, World

STATEMENT, REASON, EVIDENCE = b"\x11" * 32, b"\x22" * 32, b"\x33" * 32


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    with TestClient(create_app(services)) as c:
        yield c


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _no_secrets(body: str) -> None:
    for secret in (STATEMENT, REASON, EVIDENCE):
        assert secret.hex() not in body


def test_records_epoch_address_and_transaction_pages(
    app_client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a, b = w.residents[0], w.residents[1]
    epoch = w.epoch()
    occurred = w.now() - 3600
    receipt, relayed_id = w.credit_one(a, 1, 2, occurred_at=occurred, evidence=EVIDENCE)
    # a direct claim, confirmed directly by a superior and a peer
    sent = a.send(w.ledger.functions.submitClaim(1, 1, occurred, EVIDENCE))
    (submitted,) = w.events(sent, "ClaimSubmitted")
    direct_id = bytes(submitted["args"]["recordId"])
    w.superior.send(w.ledger.functions.confirm(direct_id, SUPERIOR))
    b.send(w.ledger.functions.confirm(direct_id, PEER))
    # one claim relayed packed (relayClaimPacked), confirmed by a superior and a peer
    c = w.residents[2]
    signed, packed_id = w.claim(c, 1, 1, occurred_at=occurred)
    ends = w.endorse([packed_id], [(w.superior, SUPERIOR), (a, PEER)])
    w.operator.send(w.ledger.functions.relayClaimPacked(pack_claim(signed, ends)))
    _, violation_id = relay_violation(w, a)
    appeal(w, a, violation_id, STATEMENT)
    resolve(w, violation_id, True, REASON)
    w.advance(EPOCH + 1)
    w.minter.send(w.ledger.functions.mintRewards(epoch, [a.address]))
    services.indexer.sync()

    page = app_client.get(f"/v1/public/records/{_hex(relayed_id)}")
    assert page.status_code == 200, page.text
    r = page.json()
    assert r["kind"] == "credit" and r["status"] == "credited" and r["points"] == 20
    assert r["resident"] == a.address and r["rule_version"] == 1 and r["epoch"] == epoch
    assert r["relayed"] is True and r["occurred_at"] == occurred
    assert r["booked"]["tx_hash"] == receipt["transactionHash"].to_0x_hex()
    assert {(c["address"], c["kind"]) for c in r["confirmations"]} == {
        (w.superior.address, "superior"),
        (b.address, "peer"),  # credit_one's peer: the first other resident
    }
    _no_secrets(page.text)

    packed = app_client.get(f"/v1/public/records/{_hex(packed_id)}").json()
    assert packed["relayed"] is True and packed["occurred_at"] == occurred
    assert [(x["address"], x["kind"]) for x in packed["confirmations"]] == [
        (w.superior.address, "superior"),
        (a.address, "peer"),
    ]

    direct = app_client.get(f"/v1/public/records/{_hex(direct_id)}").json()
    assert direct["relayed"] is False and direct["occurred_at"] == occurred
    assert [(c["address"], c["kind"]) for c in direct["confirmations"]] == [
        (w.superior.address, "superior"),
        (b.address, "peer"),
    ]

    v = app_client.get(f"/v1/public/records/{_hex(violation_id)}")
    violation = v.json()
    assert violation["kind"] == "violation" and violation["status"] == "overturned"
    assert violation["reporter"] == w.superior.address and violation["points"] < 0
    assert {c["kind"] for c in violation["confirmations"]} == {"superior", "public"}
    appealed = violation["appeal"]
    assert appealed["status"] == "overturned" and appealed["arbiter"] == w.arbiter.address
    assert appealed["filed"]["tx_hash"] and appealed["resolved"]["tx_hash"]
    _no_secrets(v.text)

    e = app_client.get(f"/v1/public/epochs/{epoch}")
    assert e.status_code == 200, e.text
    ep = e.json()
    assert ep["records_count"] == 4 and ep["points_credited"] == 40
    assert {x["record_id"] for x in ep["records"]} == {
        _hex(relayed_id),
        _hex(direct_id),
        _hex(packed_id),
        _hex(violation_id),
    }
    assert [(x["resident"], x["points"]) for x in ep["rewards"]] == [(a.address, 30)]
    assert int(ep["rewards_total"]) == int(ep["rewards"][0]["amount"]) > 0
    assert ep["ends_at"] - ep["starts_at"] == EPOCH and ep["current"] is False

    mine = app_client.get(f"/v1/public/addresses/{a.address.lower()}").json()
    assert mine["registered"] is True and mine["address"] == a.address
    assert {x["record_id"] for x in mine["records"]} == {
        _hex(relayed_id),
        _hex(direct_id),
        _hex(violation_id),
    }
    peer = app_client.get(f"/v1/public/addresses/{b.address}").json()
    # by signature in a relay transaction, and directly
    assert [(x["record"]["record_id"], x["kind"], x["role"]) for x in peer["acted"]] == [
        (_hex(relayed_id), "peer", "confirmed"),
        (_hex(direct_id), "peer", "confirmed"),
    ]
    superior = app_client.get(f"/v1/public/addresses/{w.superior.address}").json()
    assert {(x["record"]["record_id"], x["kind"], x["role"]) for x in superior["acted"]} == {
        (_hex(relayed_id), "superior", "confirmed"),
        (_hex(direct_id), "superior", "confirmed"),
        (_hex(packed_id), "superior", "confirmed"),
        (_hex(violation_id), None, "reported"),
    }
    panel = app_client.get(f"/v1/public/addresses/{w.panel.address}").json()
    assert [(x["record"]["status"], x["kind"]) for x in panel["acted"]] == [
        ("overturned", "public")
    ]

    t = app_client.get(f"/v1/public/transactions/{receipt['transactionHash'].to_0x_hex()}")
    assert [x["record_id"] for x in t.json()["records"]] == [_hex(relayed_id)]

    for url, code in (
        (f"/v1/public/records/0x{'ab' * 32}", "no_record"),
        (f"/v1/public/epochs/{epoch + 50}", "epoch_not_started"),
        (f"/v1/public/transactions/0x{'cd' * 32}", "no_transaction"),
        ("/v1/public/rule-sets/7", "no_rule_version"),
        ("/v1/public/rule-sets/7/document", "no_rule_version"),
    ):
        got = app_client.get(url)
        assert (got.status_code, got.json()["error"]["code"]) == (404, code), url
    assert app_client.get("/v1/public/records/0x12").status_code == 422
    assert app_client.get("/v1/public/addresses/nobody").status_code == 422


def test_rule_sets_serve_their_documents_and_diff(
    app_client: TestClient, services: Services, gateway_world: World, tmp_path: Path
) -> None:
    w = gateway_world
    v2 = variant(
        w.ruleset,
        label="City rules v2",
        terms={"expiry_epochs": 30},
        categories={2: {"points_per_unit": 25}},
        drop=(3,),
    )
    v3 = variant(w.ruleset, label="City rules v3 (never archived)")
    publish(w, v2, document_uri_for_next(w.system, v2, services.settings))  # as the CLI does
    services.indexer.sync()

    one = app_client.get("/v1/public/rule-sets/1").json()
    assert one["content_hash"] == _hex(w.ruleset.content_hash()) and one["status"] == "in_force"
    assert one["document_held"] is True and one["previous"] is None and one["next"] == 2
    doc = app_client.get("/v1/public/rule-sets/1/document")
    assert doc.status_code == 200 and _hex(keccak(doc.content)) == one["content_hash"]
    assert doc.content == w.ruleset.canonical_json()

    two = app_client.get("/v1/public/rule-sets/2").json()
    assert two["uri"] == "http://testserver/v1/public/rule-sets/2/document"
    assert two["status"] == "pending" and two["effective_at"] > two["published_at"]
    body = app_client.get(two["uri"].removeprefix("http://testserver")).content
    assert _hex(keccak(body)) == two["content_hash"]
    changes = {(c["scope"], c["category"], c["change"]): c["fields"] for c in two["diff"]}
    assert changes[("terms", None, "changed")] == {"expiry_epochs": ["26", "30"]}
    assert changes[("category", 2, "changed")] == {"points_per_unit": [15, 25]}
    assert ("category", 3, "removed") in changes
    assert changes[("document", None, "changed")]["label"][1] == "City rules v2"

    w.advance(two["effective_at"] - w.now() + 1)
    publish(w, v3, "")
    services.indexer.sync()
    assert app_client.get("/v1/public/rule-sets/2").json()["status"] == "in_force"
    three = app_client.get("/v1/public/rule-sets/3").json()
    assert three["document_held"] is False and three["diff"] is None and three["uri"] == ""
    missing = app_client.get("/v1/public/rule-sets/3/document")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "no_rule_document")
    assert json.loads(doc.content)["label"] == w.ruleset.label


def test_public_reads_are_rate_limited(app_client: TestClient, services: Services) -> None:
    from credit.gateway.ratelimit import SlidingWindowLimiter

    services.indexer.sync()
    app_client.app.state.public_limiter = SlidingWindowLimiter(2, 60.0)  # type: ignore[attr-defined]
    codes = [app_client.get("/v1/public/rule-sets/1").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = app_client.get("/v1/public/epochs/0")
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1
