"""My claims on the server, the double-submit guard, and evaluators' signed rejections (issue 15).

Real HTTP through the ASGI app, a real SQLite file and the eth-tester chain: every role against
``GET /v1/residents/{address}/claims`` and ``POST /v1/claims/{record_id}/rejections``, the
duplicate guard of intake, each way a rejection's signature can be wrong, what a rejection does
(queues, endorsements, later claims, a new claim) and the notice it gives the resident.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.chain.eip712 import digest, rejection_digest, sign_digest, typed_data
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.store.relay_tables import relay_endorsements, relay_rejections
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import (
    claim_body,
    confirm_body,
    rejection_body,
    statuses,
    wait_credited,
    wire_relay,
)
from tests.support.world import PEER, PUBLIC, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


EXPERT = 3
QUEUE = "/v1/confirmations/queue"


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    wire_relay(services)
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    with TestClient(create_app(services)) as client:
        yield client


def mine(w: World, name: str) -> str:
    return f"/v1/residents/{getattr(w, name).address}/claims"


def submit(api: TestClient, w: World, resident: Any, **kw: Any) -> str:
    body, rid = claim_body(w, resident, **kw)
    r = api.post("/v1/claims", json=body)
    assert r.status_code == 202, r.text
    return rid


def reject(api: TestClient, rid: str, body: dict[str, Any]) -> Any:
    return api.post(f"/v1/claims/{rid}/rejections", json=body)


# ------------------------------------------------------------------ EIP-712


def test_the_fast_rejection_digest_equals_the_typed_data_encoder(gateway_world: World) -> None:
    domain = gateway_world.system.domain
    message = {"recordId": b"\x11" * 32, "kind": 2, "reason": 3, "note": keccak(b"note")}
    assert digest(domain, "Rejection", message) == rejection_digest(
        domain, b"\x11" * 32, 2, 3, keccak(b"note")
    )
    signable = encode_typed_data(full_message=typed_data(domain, "Rejection", message))
    assert signable.body  # what a wallet signs with eth_signTypedData_v4


def test_the_config_publishes_the_rejection_type(api: TestClient) -> None:
    types = api.get("/v1/config").json()["eip712"]["types"]
    assert [f["name"] for f in types["Rejection"]] == ["recordId", "kind", "reason", "note"]


# ------------------------------------------------------------------ My claims


def test_my_claims_are_the_residents_own_newest_first_in_pages(
    api: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    a, b = w.residents[0], w.residents[1]
    now = w.now()
    ids = [submit(api, w, a, nonce=i, occurred_at=now - 86400 * (i + 1)) for i in range(3)]
    submit(api, w, b)
    headers = sign_in(api, a.key)
    page = api.get(mine(w, "resident0"), headers=headers, params={"limit": 2}).json()
    assert [c["record_id"] for c in page["claims"]] == [ids[2], ids[1]]
    assert page["resident"] == a.address and page["next_before"] is not None
    first = page["claims"][0]
    assert first["occurred_at"] == now - 86400 * 3  # the activity's time, as signed
    assert first["status"] == "waiting"
    assert first["confirmations"]["kinds"] == []
    assert first["confirmations"]["missing_kinds"] == ["SUPERIOR", "PEER"]
    rest = api.get(
        mine(w, "resident0"), headers=headers, params={"limit": 2, "before": page["next_before"]}
    ).json()
    assert [c["record_id"] for c in rest["claims"]] == [ids[0]]
    assert rest["next_before"] is None


def test_my_claims_show_kinds_so_far_and_the_transaction_once_credited(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a, peer = w.residents[0], w.residents[1]
    rid = submit(api, w, a)
    assert api.post("/v1/confirmations", json=confirm_body(w, peer, PEER, [rid])).status_code == 202
    headers = sign_in(api, a.key)
    (claim,) = api.get(mine(w, "resident0"), headers=headers).json()["claims"]
    assert claim["confirmations"]["kinds"] == ["PEER"]
    assert claim["confirmations"]["missing_kinds"] == ["SUPERIOR"]
    confirm = confirm_body(w, w.superior, SUPERIOR, [rid])
    assert api.post("/v1/confirmations", json=confirm).status_code == 202
    wait_credited(services, [rid])
    (claim,) = api.get(mine(w, "resident0"), headers=headers).json()["claims"]
    assert claim["status"] == "credited" and claim["tx_hash"].startswith("0x")
    assert claim["points"] > 0 and claim["rejection"] is None


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        pytest.param(None, 401, id="anonymous"),
        pytest.param("resident0", 200, id="resident-self"),
        pytest.param("resident1", 403, id="peer"),
        pytest.param("superior", 403, id="superior"),
        pytest.param("panel", 403, id="public-panel"),
        pytest.param("expert", 403, id="expert"),
        pytest.param("arbiter", 403, id="arbiter"),
        pytest.param("minter", 403, id="minter"),
        pytest.param("operator", 403, id="operator"),
        pytest.param("outsider", 403, id="outsider"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_only_the_resident_lists_their_claims(
    api: TestClient, gateway_world: World, caller: str | None, status: int
) -> None:
    w = gateway_world
    submit(api, w, w.residents[0])
    headers = sign_in(api, getattr(w, caller).key) if caller else {}
    r = api.get(mine(w, "resident0"), headers=headers)
    assert r.status_code == status, r.text
    if status == 200:
        assert len(r.json()["claims"]) == 1
    else:
        assert r.json()["error"]["code"] == ("unauthorized" if status == 401 else "forbidden")


def test_my_claims_refuse_a_malformed_address_and_page(
    api: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    headers = sign_in(api, w.residents[0].key)
    assert api.get("/v1/residents/0x12/claims", headers=headers).status_code == 422
    bad = api.get(mine(w, "resident0"), headers=headers, params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


# ------------------------------------------------------------------ double submit


def test_an_identical_claim_already_waiting_is_refused_with_409(
    api: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[0]
    at = w.now() - 3600
    rid = submit(api, w, a, occurred_at=at)
    again, _ = claim_body(w, a, nonce=1, occurred_at=at)  # a second press: a new signature
    r = api.post("/v1/claims", json=again)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "claim_already_waiting"
    assert error["details"] == {"record_id": rid, "status": "waiting"}
    assert "already waiting" in error["message"] and "confirm" in error["message"]
    # another activity (another time) is a new claim
    other, _ = claim_body(w, a, nonce=1, occurred_at=at - 86400)
    assert api.post("/v1/claims", json=other).status_code == 202


def test_two_identical_claims_in_one_upload_keep_the_first(
    api: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[0]
    at = w.now() - 3600
    bodies = [claim_body(w, a, nonce=n, occurred_at=at)[0] for n in (0, 1)]
    results = api.post("/v1/claims/batch", json={"claims": bodies}).json()["results"]
    assert results[0]["accepted"] is True
    assert results[1]["error"]["code"] == "claim_already_waiting"
    assert results[1]["error"]["status"] == 409


# ------------------------------------------------------------------ rejections by role


@pytest.mark.parametrize(
    ("evaluator", "kind", "status", "code"),
    [
        pytest.param("superior", SUPERIOR, 201, None, id="superior"),
        pytest.param("panel", PUBLIC, 201, None, id="public-panel"),
        pytest.param("expert", EXPERT, 201, None, id="expert"),
        pytest.param("resident1", PEER, 201, None, id="peer"),
        pytest.param("resident0", PEER, 403, "own_claim", id="resident-own-claim"),
        pytest.param("superior", EXPERT, 403, "not_entitled", id="superior-as-expert"),
        pytest.param("arbiter", SUPERIOR, 403, "not_entitled", id="arbiter"),
        pytest.param("minter", SUPERIOR, 403, "not_entitled", id="minter"),
        pytest.param("operator", SUPERIOR, 403, "not_entitled", id="operator"),
        pytest.param("registrar", PUBLIC, 403, "not_entitled", id="registrar"),
        pytest.param("outsider", PEER, 403, "not_entitled", id="outsider-as-peer"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_reject_a_claim(
    api: TestClient,
    services: Services,
    gateway_world: World,
    evaluator: str,
    kind: int,
    status: int,
    code: str | None,
) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    r = reject(api, rid, rejection_body(w, getattr(w, evaluator), kind, rid))
    assert r.status_code == status, r.text
    if code is None:
        assert statuses(services)[rid] == "rejected"
        claim = r.json()["claim"]
        assert claim["status"] == "rejected" and r.json()["closed"] == [rid]
        names = ("SUPERIOR", "PEER", "PUBLIC", "EXPERT")
        assert claim["rejection"] == {
            "code": "did_not_happen",
            "by": names[kind],
            "note": "I was there; nobody came",
            "at": claim["rejection"]["at"],
            "message": claim["rejection"]["message"],
        }
    else:
        assert r.json()["error"]["code"] == code
        assert statuses(services)[rid] == "waiting"


def test_a_rejection_without_a_signature_is_refused(api: TestClient, gateway_world: World) -> None:
    """The anonymous caller: no session is needed, but a signature is."""
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    body = rejection_body(w, w.superior, SUPERIOR, rid)
    del body["signature"]
    r = reject(api, rid, body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"reason": "because"}, id="unknown-reason"),
        pytest.param({"note": "x" * 501}, id="note-too-long"),
        pytest.param({"kind": 4}, id="unknown-kind"),
        pytest.param({"extra": 1}, id="unknown-field"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_a_malformed_rejection_is_refused(
    api: TestClient, gateway_world: World, change: dict[str, Any]
) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    r = reject(api, rid, {**rejection_body(w, w.superior, SUPERIOR, rid), **change})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


# ------------------------------------------------------------------ signature checks


def test_a_rejection_signed_by_someone_else_is_refused(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    body = rejection_body(w, w.superior, SUPERIOR, rid, signer=w.residents[2])
    r = reject(api, rid, body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_signature"
    assert r.json()["error"]["details"]["recovered"] == w.residents[2].address
    assert statuses(services)[rid] == "waiting"


def test_a_rejection_cannot_be_replayed_on_another_claim(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    first = submit(api, w, w.residents[0])
    second = submit(api, w, w.residents[1])
    body = rejection_body(w, w.superior, SUPERIOR, first)
    assert reject(api, first, body).status_code == 201
    r = reject(api, second, body)  # the same signed body, posted for another record
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_signature"
    again = reject(api, first, body)  # and on the same one: it is closed
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_waiting"
    assert statuses(services)[second] == "waiting"


def test_the_note_is_signed(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    body = rejection_body(w, w.superior, SUPERIOR, rid, note="shown", signed_note="signed")
    r = reject(api, rid, body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_signature"


def test_compact_signatures_are_taken_too(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    d = rejection_digest(w.system.domain, bytes.fromhex(rid[2:]), SUPERIOR, 4, keccak(b""))
    sig = sign_digest(w.superior.key, d)
    body = {
        "evaluator": w.superior.address,
        "kind": SUPERIOR,
        "reason": "other",
        "r": "0x" + sig.r.hex(),
        "vs": "0x" + sig.vs.hex(),
    }
    r = reject(api, rid, body)
    assert r.status_code == 201, r.text
    assert r.json()["claim"]["rejection"]["note"] == ""


def test_a_credited_claim_cannot_be_rejected(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    for actor, kind in ((w.superior, SUPERIOR), (w.residents[1], PEER)):
        assert api.post("/v1/confirmations", json=confirm_body(w, actor, kind, [rid])).status_code
    wait_credited(services, [rid])
    r = reject(api, rid, rejection_body(w, w.expert, EXPERT, rid))
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "not_waiting"
    assert r.json()["error"]["details"] == {"status": "credited"}


def test_an_evaluator_who_confirmed_cannot_reject(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    rid = submit(api, w, w.residents[0])
    assert api.post("/v1/confirmations", json=confirm_body(w, w.panel, PUBLIC, [rid])).status_code
    r = reject(api, rid, rejection_body(w, w.panel, PUBLIC, rid))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_confirmed"


def test_an_unknown_claim_is_404(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    rid = "0x" + "ab" * 32
    r = reject(api, rid, rejection_body(w, w.superior, SUPERIOR, rid))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# ------------------------------------------------------------------ effects


def test_a_rejected_claim_leaves_the_queues_drops_endorsements_and_can_be_sent_again(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a, peer = w.residents[0], w.residents[1]
    at = w.now() - 3600
    rid = submit(api, w, a, occurred_at=at)
    later = submit(api, w, a, nonce=1, occurred_at=at - 86400)
    assert api.post("/v1/confirmations", json=confirm_body(w, peer, PEER, [rid])).status_code
    officials = {n: sign_in(api, getattr(w, n).key) for n in ("superior", "expert")}
    for headers in officials.values():
        queued = [c["record_id"] for c in api.get(QUEUE, headers=headers).json()["claims"]]
        assert rid in queued

    r = reject(api, rid, rejection_body(w, w.superior, SUPERIOR, rid, reason="wrong_amount"))
    assert r.status_code == 201, r.text
    assert r.json()["closed"] == [rid, later]  # its nonce came after the rejected one

    for headers in officials.values():
        assert api.get(QUEUE, headers=headers).json()["claims"] == []
    with services.engine.connect() as conn:
        assert set(conn.execute(select(relay_endorsements.c.status)).scalars()) == {"stale"}
        (row,) = conn.execute(select(relay_rejections)).mappings().all()
    assert row["evaluator"] == w.superior.address.lower() and row["reason"] == "wrong_amount"
    mine_now = api.get(mine(w, "resident0"), headers=sign_in(api, a.key)).json()["claims"]
    by_id = {c["record_id"]: c for c in mine_now}
    assert by_id[later]["rejection"]["code"] == "earlier_claim_rejected"

    # the same claim again, with a new signature: accepted, confirmed, credited
    again = submit(api, w, a, nonce=0, occurred_at=at, deadline=w.now() + 7200)
    for actor, kind in ((w.superior, SUPERIOR), (peer, PEER)):
        body = confirm_body(w, actor, kind, [again])
        assert api.post("/v1/confirmations", json=body).status_code == 202
    wait_credited(services, [again])


def test_the_resident_is_told_with_the_reason_and_the_rule(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[0]
    rid = submit(api, w, a)
    body = rejection_body(w, w.expert, EXPERT, rid, reason="not_enough_evidence", note="No photo")
    assert reject(api, rid, body).status_code == 201
    services.indexer.sync()
    headers = sign_in(api, a.key)
    notices = api.get(f"/v1/residents/{a.address}/notices", headers=headers).json()["notices"]
    (n,) = [n for n in notices if n["rule_id"] == "claim-rejected"]
    assert n["kind"] == "reminder" and n["severity"] == "notice"
    assert n["rule_set_version"] == 1
    assert n["rule_set_hash"] == "0x" + w.ruleset.content_hash().hex()
    assert "there is not enough evidence" in n["message"]["en"]
    assert "an expert" in n["message"]["en"] and "note: “No photo”." in n["message"]["en"]
    assert "submit the claim again" in n["message"]["en"]
    assert "证据不足" in n["message"]["zh"] and "重新提交" in n["message"]["zh"]
    assert n["evidence"] == [
        {"record_id": rid, "tx_hash": None, "block_number": None, "log_index": None}
    ]
    assert n["data"]["reason"] == "not_enough_evidence" and n["data"]["kind"] == "expert"
    # nobody else is told, and the auditor's export (chain facts only) has no such notice
    other = api.get(
        f"/v1/residents/{w.residents[1].address}/notices", headers=sign_in(api, w.residents[1].key)
    ).json()["notices"]
    assert all(n["rule_id"] != "claim-rejected" for n in other)
    assert b"claim-rejected" not in services.notices.export()  # type: ignore[union-attr]
