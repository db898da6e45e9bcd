"""``POST /v1/claims/batch``: many signed claims in one request, each checked on its own.

Same checks as ``POST /v1/claims`` (one code path): a bad claim gets its own typed error and never
sinks the others; duplicates and a resident's nonce sequence are judged within the request too;
a malformed or oversize request is refused whole and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay.models import MAX_CLAIMS_PER_REQUEST
from tests.support.relay_helpers import (
    claim_body,
    confirm_body,
    credited_events,
    relayer_nonce,
    rows,
    statuses,
    wait_credited,
    wire_relay,
)
from tests.support.world import PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


BATCH = "/v1/claims/batch"


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    """The app with a Relay wired into ``services`` (started and stopped by the lifespan)."""
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def _post(api: TestClient, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    r = api.post(BATCH, json={"claims": bodies})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    assert [x["index"] for x in answer["results"]] == list(range(len(bodies)))
    assert answer["accepted"] + answer["refused"] == len(bodies)
    return answer


def _codes(answer: dict[str, Any]) -> list[tuple[int, str] | str]:
    """Per claim: "accepted", or (HTTP status, error code) as the single endpoint answers."""
    return [
        "accepted" if x["accepted"] else (x["error"]["status"], x["error"]["code"])
        for x in answer["results"]
    ]


def test_mixed_claims_each_get_their_own_outcome_and_the_good_ones_are_credited(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    start, nonce = w.w3.eth.block_number, relayer_nonce(services)
    good0, rid0 = claim_body(w, w.residents[0], units=2)
    good1, rid1 = claim_body(w, w.residents[1], compact=True)
    forged, forged_id = claim_body(w, w.residents[2], signer=w.residents[3])
    outsider, _ = claim_body(w, w.outsider, nonce=0)
    expired, _ = claim_body(w, w.residents[4], deadline=w.now() - 1)
    too_many, _ = claim_body(w, w.residents[5], units=9)
    answer = _post(api, [good0, forged, outsider, good1, expired, too_many])
    assert _codes(answer) == [
        "accepted",
        (422, "invalid_signature"),
        (403, "not_registered"),
        "accepted",
        (422, "expired"),
        (422, "invalid_units"),
    ]
    assert answer["results"][0] == {
        "index": 0,
        "accepted": True,
        "record_id": rid0,
        "status": "waiting",
    }
    refused = answer["results"][1]
    assert refused["record_id"] == forged_id  # the digest is known even when the signer is wrong
    details = refused["error"]["details"]
    assert details["recovered"] == w.residents[3].address
    assert details["domain"] == w.system.domain.as_dict()  # the domain the gateway expects
    assert statuses(services) == {rid0: "waiting", rid1: "waiting"}
    assert rows(services) == [] and relayer_nonce(services) == nonce  # no gas before quorum

    for actor, kind in ((w.superior, SUPERIOR), (w.residents[2], PEER)):
        body = confirm_body(w, actor, kind, [rid0, rid1])
        assert api.post("/v1/confirmations", json=body).status_code == 202
    wait_credited(services, [rid0, rid1])
    assert sorted(credited_events(w, start)) == sorted([rid0, rid1])
    assert w.credit(w.residents[0]) == 20 and w.credit(w.residents[1]) == 10


def test_duplicates_within_a_request_and_across_requests_conflict(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    alice, bob = w.residents[0], w.residents[1]
    first, rid = claim_body(w, alice)
    same_nonce, _ = claim_body(w, alice, units=3, nonce=0)
    answer = _post(api, [first, first, same_nonce])
    assert _codes(answer) == ["accepted", (409, "duplicate_claim"), (409, "nonce_used")]
    assert answer["results"][1]["error"]["details"] == {"record_id": rid, "status": "waiting"}
    assert answer["results"][2]["error"]["details"] == {"expected": 1, "given": 0}

    other, other_id = claim_body(w, bob)
    again = _post(api, [other, first])  # an earlier request's claim, beside a new one
    assert _codes(again) == ["accepted", (409, "duplicate_claim")]
    assert statuses(services) == {rid: "waiting", other_id: "waiting"}
    single = api.post("/v1/claims", json=first)  # the single endpoint agrees
    assert (single.status_code, single.json()["error"]["code"]) == (409, "duplicate_claim")


def test_a_residents_nonce_sequence_in_one_request_in_any_order(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    alice, bob = w.residents[0], w.residents[1]
    signed = [claim_body(w, alice, nonce=n, units=1 + n) for n in range(3)]
    answer = _post(api, [signed[2][0], signed[0][0], signed[1][0]])
    assert _codes(answer) == ["accepted"] * 3
    with_gap = [claim_body(w, bob, nonce=n)[0] for n in (0, 2)]
    gap = _post(api, with_gap)
    assert _codes(gap) == ["accepted", (422, "nonce_gap")]
    assert gap["results"][1]["error"]["details"] == {"expected": 1, "given": 2}
    follow_up = _post(api, [claim_body(w, alice, nonce=3)[0], claim_body(w, bob, nonce=1)[0]])
    assert _codes(follow_up) == ["accepted", "accepted"]  # both continue from the stored ones

    ids = [rid for _, rid in signed]
    for rid in ids:  # one confirmation per claim: ids need not ascend with nonces
        for actor, kind in ((w.superior, SUPERIOR), (w.residents[2], PEER)):
            body = confirm_body(w, actor, kind, [rid])
            assert api.post("/v1/confirmations", json=body).status_code == 202
    wait_credited(services, ids)
    assert w.ledger.functions.claimNonce(alice.address).call() == 3


def test_one_confirmation_of_a_residents_claims_out_of_nonce_order_is_refused(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """Batches run in record id order and a resident's claims in nonce order: a confirmation
    naming their nonce n+1 claim before their nonce n claim could never be relayed."""
    w = gateway_world
    alice = w.residents[0]
    first, first_id = claim_body(w, alice, nonce=0)
    # another activity than the first (another time): not a twin of it, which intake refuses
    times = [t for t in range(w.now() - 30, w.now() - 100, -1) if t != first["occurred_at"]]
    seconds = (claim_body(w, alice, nonce=1, occurred_at=t) for t in times)
    second, second_id = next(  # a nonce-1 claim whose id sorts first (each has odds 1/2)
        (body, rid) for body, rid in seconds if int(rid, 16) < int(first_id, 16)
    )
    assert _codes(_post(api, [first, second])) == ["accepted", "accepted"]
    r = api.post(
        "/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [first_id, second_id])
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unrelayable_records"), r.text
    assert r.json()["error"]["details"] == {"records": sorted([first_id, second_id])}
    alone = confirm_body(w, w.superior, SUPERIOR, [first_id])
    assert api.post("/v1/confirmations", json=alone).status_code == 202


def test_a_request_where_every_claim_is_refused_stores_nothing(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    bad = [claim_body(w, w.residents[0], nonce=5)[0], claim_body(w, w.outsider, nonce=0)[0]]
    answer = _post(api, bad)
    assert answer["accepted"] == 0
    assert _codes(answer) == [(422, "nonce_gap"), (403, "not_registered")]
    assert statuses(services) == {}


@pytest.mark.parametrize(
    "case",
    ["too-many-claims", "no-claims", "one-malformed-claim", "not-a-list", "body-too-large"],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_malformed_or_oversize_requests_are_refused_whole(
    case: str, api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    good, _ = claim_body(w, w.residents[0])
    body: Any
    status, code = 422, "invalid_request"
    if case == "too-many-claims":
        body = {"claims": [good] * (MAX_CLAIMS_PER_REQUEST + 1)}
    elif case == "no-claims":
        body = {"claims": []}
    elif case == "one-malformed-claim":
        body = {"claims": [good, {**claim_body(w, w.residents[1])[0], "credit": 1000}]}
    elif case == "not-a-list":
        body = {"claims": good}
    else:
        padding = "0x" + "00" * 64
        body = {"claims": [{**good, "evidence": padding}] * 2, "pad": "x" * 300_000}
        status, code = 413, "payload_too_large"
    r = api.post(BATCH, json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text[:300]
    assert statuses(services) == {}


def test_the_relay_being_down_refuses_the_request(services: Services, gateway_world: World) -> None:
    with TestClient(create_app(services)) as client:  # no relay wired
        r = client.post(
            BATCH, json={"claims": [claim_body(gateway_world, gateway_world.residents[0])[0]]}
        )
    assert (r.status_code, r.json()["error"]["code"]) == (503, "relay_unavailable")
