"""Relaying over HTTP on a real EVM: credit end to end, refusals before gas, decoded reverts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.chain import role_id
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay.service import Relay
from tests.support.auth_helpers import sign_in
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
from tests.support.world import EXPERT, PEER, SUPERIOR, World, wait_until

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    """The app with a Relay wired into ``services`` (started and stopped by the lifespan)."""
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def test_claim_and_two_confirmations_are_credited(
    api: TestClient,
    services: Services,
    gateway_world: World,
) -> None:
    w = gateway_world
    alice, bob = w.residents[0], w.residents[1]
    start = w.w3.eth.block_number
    body, rid = claim_body(w, alice, units=2)
    r = api.post("/v1/claims", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "waiting"
    assert r.json()["confirmations"] == {
        "weight": 0,
        "count": 0,
        "kinds": [],
        "needed": {"weight": 3, "count": 2, "kinds": ["SUPERIOR", "PEER"]},
    }
    r = api.post("/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [rid]))
    assert r.status_code == 202, r.text
    assert r.json()["claims"][0]["confirmations"]["kinds"] == ["SUPERIOR"]
    assert r.json()["claims"][0]["status"] == "waiting"
    r = api.post("/v1/confirmations", json=confirm_body(w, bob, PEER, [rid]))
    assert r.status_code == 202, r.text

    as_alice = sign_in(api, alice.key)
    assert wait_until(
        lambda: api.get(f"/v1/claims/{rid}", headers=as_alice).json()["status"] == "credited", 30
    )
    status = api.get(f"/v1/claims/{rid}", headers=as_alice).json()
    assert status["points"] == 20 and status["reason"] is None
    assert w.credit(alice) == 20
    assert credited_events(w, start) == [rid]
    [row] = rows(services)
    assert (row["status"], row["tx_hash"], row["block"]) == (
        "mined",
        status["tx_hash"],
        status["block"],
    )

    as_carol = sign_in(api, w.residents[2].key)
    refused = api.get(f"/v1/claims/{rid}", headers=as_carol)  # as if it did not exist
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert api.get(f"/v1/claims/{rid}", headers=sign_in(api, w.superior.key)).status_code == 200
    assert api.get(f"/v1/claims/{rid}").status_code == 401


def _claim_case(case: str, w: World) -> tuple[dict[str, Any], int, str]:
    alice, now = w.residents[0], w.now()
    cases: dict[str, tuple[dict[str, Any], int, str]] = {
        "bad-signature": (claim_body(w, alice, signer=w.residents[1])[0], 422, "invalid_signature"),
        "nonce-gap": (claim_body(w, alice, nonce=1)[0], 422, "nonce_gap"),
        "expired": (claim_body(w, alice, deadline=now - 1)[0], 422, "expired"),
        "deadline-too-close": (
            claim_body(w, alice, deadline=now + 30)[0],
            422,
            "deadline_too_close",
        ),
        "not-registered": (claim_body(w, w.outsider, nonce=0)[0], 403, "not_registered"),
        "too-many-units": (claim_body(w, alice, units=9)[0], 422, "invalid_units"),
        "unknown-category": (claim_body(w, alice, category=7)[0], 422, "unknown_category"),
        "violation-category": (claim_body(w, alice, category=100)[0], 422, "unknown_category"),
        "automated-category": (claim_body(w, alice, category=4)[0], 422, "automated_category"),
        "in-the-future": (
            claim_body(w, alice, occurred_at=now + 600)[0],
            422,
            "occurred_in_future",
        ),
        "extra-field": ({**claim_body(w, alice)[0], "credit": 1000}, 422, "invalid_request"),
        "two-signatures": (
            {**claim_body(w, alice)[0], **claim_body(w, alice, compact=True)[0]},
            422,
            "invalid_request",
        ),
    }
    return cases[case]


CLAIM_CASES = [
    "bad-signature",
    "nonce-gap",
    "expired",
    "deadline-too-close",
    "not-registered",
    "too-many-units",
    "unknown-category",
    "violation-category",
    "automated-category",
    "in-the-future",
    "extra-field",
    "two-signatures",
]


@pytest.mark.parametrize("case", CLAIM_CASES, ids=CLAIM_CASES)
def test_bad_claims_are_refused_before_any_gas(
    case: str,
    api: TestClient,
    services: Services,
    gateway_world: World,
) -> None:
    nonce = relayer_nonce(services)
    body, status, code = _claim_case(case, gateway_world)
    r = api.post("/v1/claims", json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert statuses(services) == {} and rows(services) == [] and relayer_nonce(services) == nonce


CONFIRMATION_CASES = {
    "outsider-as-superior": (
        lambda w, ids: confirm_body(w, w.outsider, SUPERIOR, ids[:1]),
        403,
        "lacks_role",
    ),
    "resident-as-expert": (
        lambda w, ids: confirm_body(w, w.residents[2], EXPERT, ids[:1]),
        403,
        "lacks_role",
    ),
    "panel-as-superior": (
        lambda w, ids: confirm_body(w, w.panel, SUPERIOR, ids[:1]),
        403,
        "lacks_role",
    ),
    "self-confirmation": (
        lambda w, ids: confirm_body(w, w.residents[0], PEER, ids[:1]),
        403,
        "self_confirmation",
    ),
    "bad-signature": (
        lambda w, ids: confirm_body(w, w.superior, SUPERIOR, ids[:1], signer=w.superior2),
        422,
        "invalid_signature",
    ),
    "unsorted": (
        lambda w, ids: confirm_body(
            w, w.superior, SUPERIOR, sorted(ids, reverse=True), keep_order=True
        ),
        422,
        "records_not_sorted",
    ),
    "expired": (
        lambda w, ids: confirm_body(w, w.superior, SUPERIOR, ids[:1], deadline=w.now() - 1),
        422,
        "expired",
    ),
    "unknown-record": (
        lambda w, ids: confirm_body(w, w.superior, SUPERIOR, ["0x" + "ab" * 32]),
        404,
        "not_found",
    ),
    "extra-field": (
        lambda w, ids: {**confirm_body(w, w.superior, SUPERIOR, ids[:1]), "role": "x"},
        422,
        "invalid_request",
    ),
}


@pytest.mark.parametrize("case", list(CONFIRMATION_CASES), ids=list(CONFIRMATION_CASES))
def test_bad_confirmations_are_refused_before_any_gas(
    case: str,
    api: TestClient,
    services: Services,
    gateway_world: World,
) -> None:
    w = gateway_world
    ids = []
    for resident in w.residents[:2]:
        body, rid = claim_body(w, resident)
        assert api.post("/v1/claims", json=body).status_code == 202
        ids.append(rid)
    assert (
        api.post("/v1/confirmations", json=confirm_body(w, w.residents[3], PEER, ids)).status_code
        == 202
    )
    nonce = relayer_nonce(services)
    make, status, code = CONFIRMATION_CASES[case]
    r = api.post("/v1/confirmations", json=make(w, ids))
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert set(statuses(services).values()) == {"waiting"}
    assert rows(services) == [] and relayer_nonce(services) == nonce


def test_duplicates_and_used_nonces_conflict(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    body, rid = claim_body(w, w.residents[0])
    assert api.post("/v1/claims", json=body).status_code == 202
    again = api.post("/v1/claims", json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "duplicate_claim")
    other, _ = claim_body(w, w.residents[0], units=3, nonce=0)
    used = api.post("/v1/claims", json=other)
    assert (used.status_code, used.json()["error"]["code"]) == (409, "nonce_used")
    assert used.json()["error"]["details"] == {"expected": 1, "given": 0}
    nxt, _ = claim_body(w, w.residents[0], nonce=1, compact=True)
    assert api.post("/v1/claims", json=nxt).status_code == 202
    ok = api.post("/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [rid]))
    assert ok.status_code == 202
    twice = api.post("/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [rid]))
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "already_confirmed")


def _two_pending_claims(client: TestClient, w: World, services: Services) -> list[str]:
    """Residents 0 and 1 each claim; the first is confirmed by superior2 and resident 2 as a peer,
    the second by superior and resident 3 (separate endorsements, so each claim stands alone)."""
    ids = []
    for resident in w.residents[:2]:
        body, rid = claim_body(w, resident)
        assert client.post("/v1/claims", json=body).status_code == 202
        ids.append(rid)
    pairs = (
        ((w.superior2, SUPERIOR), (w.residents[2], PEER)),
        ((w.superior, SUPERIOR), (w.residents[3], PEER)),
    )
    for rid, evaluators in zip(ids, pairs, strict=True):
        for actor, kind in evaluators:
            body = confirm_body(w, actor, kind, [rid])
            assert client.post("/v1/confirmations", json=body).status_code == 202
    assert set(statuses(services).values()) == {"pending"}
    return ids


def test_revert_drops_the_named_endorsement_and_requeues_the_rest(
    services: Services, gateway_world: World
) -> None:
    """An evaluator loses their role after confirming: the batch reverts with
    LedgerEvaluatorLacksRole(them); their endorsement is dropped (the claim it confirmed waits for
    another), and the other claim is credited in a new transaction."""
    w = gateway_world
    relay = Relay(services)
    services.relay = relay  # accepting only: the relay threads are not started yet
    with TestClient(create_app(services)) as client:
        ids = _two_pending_claims(client, w, services)
        w.operator.send(
            w.ledger.functions.revokeRole(role_id("SUPERIOR_ROLE"), w.superior2.address)
        )
        relay.start()
        try:
            wait_credited(services, ids[1:])
        finally:
            relay.stop()
    status = relay.claim_status(ids[0])
    assert status["status"] == "waiting"
    assert status["confirmations"]["kinds"] == ["PEER"]
    assert [r["status"] for r in rows(services)] == ["failed", "mined"]
    assert "LedgerEvaluatorLacksRole" in rows(services)[0]["error"]
    assert credited_events(w, 0) == [ids[1]]


def test_a_deregistered_residents_claim_is_skipped_and_the_rest_credited(
    services: Services, gateway_world: World
) -> None:
    """A resident deregistered after acceptance: the batch skips their claim (ClaimSkipped,
    NOT_REGISTERED), which is rejected with that reason, and credits the other one."""
    w = gateway_world
    relay = Relay(services)
    services.relay = relay
    with TestClient(create_app(services)) as client:
        ids = _two_pending_claims(client, w, services)
        w.registrar.send(w.ledger.functions.deregisterResident(w.residents[0].address))
        relay.start()
        try:
            wait_credited(services, ids[1:])
        finally:
            relay.stop()
    status = relay.claim_status(ids[0])
    assert status["status"] == "rejected"
    assert status["reason"]["error"] == "ClaimSkipped"
    assert status["reason"]["args"] == {
        "reason": "NOT_REGISTERED",
        "expectedNonce": 0,
        "givenNonce": 0,
    }
    assert [r["status"] for r in rows(services)] == ["mined"]
    assert credited_events(w, 0) == [ids[1]]


def test_wire_relay_start_stop_are_idempotent(services: Services) -> None:
    relay = wire_relay(services)
    relay.start()
    relay.start()
    relay.stop()
    relay.stop()
    assert not relay.signer.alive


def test_two_evaluators_may_sign_the_same_confirmation_message(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """Same records, kind and deadline: one EIP-712 digest, two signers, two endorsements."""
    w = gateway_world
    alice, bob, carol = w.residents[0], w.residents[1], w.residents[2]
    body, rid = claim_body(w, alice)
    assert api.post("/v1/claims", json=body).status_code == 202
    deadline = w.now() + 3600
    for peer in (bob, carol):
        r = api.post(
            "/v1/confirmations", json=confirm_body(w, peer, PEER, [rid], deadline=deadline)
        )
        assert r.status_code == 202, r.text
    again = api.post("/v1/confirmations", json=confirm_body(w, bob, PEER, [rid], deadline=deadline))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_confirmed")
    r = api.post("/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [rid]))
    assert r.status_code == 202, r.text
    wait_credited(services, [rid])
