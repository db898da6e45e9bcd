"""The officials' confirmation queue cannot be flooded by one resident (issue 14, finding 8).

Posting claims needs no session, so three bounds keep one resident from hiding everyone else's
claims: a resident has at most ``max_waiting_claims_per_resident`` claims waiting for
confirmations, a claim's deadline is at most ``max_claim_deadline_seconds`` ahead (so junk
expires), and the queue takes its claims round-robin across residents (every resident's oldest
claim first), so no resident fills an evaluator's page. Each bound is tested on its own (the
others made roomy), through the real app and a real SQLite file. Also: ``GET /v1/claims/{id}``
answers a caller not entitled to a claim exactly as it answers for a claim that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.settings import Settings
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import HOUR, claim_body, confirm_body, statuses, wire_relay
from tests.support.world import PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


BATCH = "/v1/claims/batch"
QUEUE = "/v1/confirmations/queue"
UINT48 = 2**48 - 1
DAY = 86400
DEFAULT_BOUND, DEFAULT_HORIZON = 20, 30 * DAY  # the settings' defaults (test_defaults)
ROOMY = {"max_waiting_claims_per_resident": 10_000, "max_claim_deadline_seconds": UINT48}


@pytest.fixture
def gw_settings(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Settings:
    """The gateway's settings, with ``request.param`` (a dict) changed."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        siwe_domain="testserver",
        siwe_uri="http://testserver",
        batch_window_seconds=0.05,
        **getattr(request, "param", {}),
    )


def settings(**values: Any) -> Any:
    """Run a test with these settings (the others as the gateway's defaults)."""
    return pytest.mark.parametrize("gw_settings", [values], indirect=True, ids=["settings"])


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def _junk(world: World, resident: Any, count: int, first_nonce: int = 0) -> list[dict[str, Any]]:
    """``count`` claims of ``resident`` (consecutive nonces), deadlines as far as the ledger
    takes them."""
    now = world.now()
    return [
        claim_body(
            world, resident, nonce=first_nonce + i, occurred_at=now - 60 - i, deadline=UINT48
        )[0]
        for i in range(count)
    ]


def _flood(api: TestClient, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST ``bodies`` through the bulk endpoint, 500 at a time; every claim's outcome."""
    results = []
    for i in range(0, len(bodies), 500):
        r = api.post(BATCH, json={"claims": bodies[i : i + 500]})
        assert r.status_code == 200, r.text
        results += r.json()["results"]
    return results


def _queue(api: TestClient, headers: dict[str, str], limit: int | None = None) -> list[str]:
    r = api.get(QUEUE if limit is None else f"{QUEUE}?limit={limit}", headers=headers)
    assert r.status_code == 200, r.text
    return [c["record_id"] for c in r.json()["claims"]]


def _error(answer: Any) -> tuple[int, str]:
    """(status, code) of a single endpoint's error response, or of a bulk result line."""
    if isinstance(answer, dict):
        return answer["error"]["status"], answer["error"]["code"]
    return answer.status_code, answer.json().get("error", {}).get("code")


def test_defaults() -> None:
    defaults = Settings()
    assert defaults.max_waiting_claims_per_resident == DEFAULT_BOUND
    assert defaults.max_claim_deadline_seconds == DEFAULT_HORIZON


# ---------------------------------------------------------------------- the reproduction


def test_a_thousand_junk_claims_do_not_hide_an_honest_claim(
    api: TestClient, gateway_world: World
) -> None:
    """The attack as found: 1,000 claims of one resident with the farthest deadline, then one
    honest claim by another; the honest claim is on the evaluator's first page."""
    w = gateway_world
    mallory, honest = w.residents[0], w.residents[1]
    _flood(api, _junk(w, mallory, 1000))
    body, honest_id = claim_body(w, honest)
    assert api.post("/v1/claims", json=body).status_code == 202
    assert honest_id in _queue(api, sign_in(api, w.superior.key))


# ---------------------------------------------------------------------- (a) waiting claims


@settings(max_claim_deadline_seconds=UINT48)
def test_a_resident_has_at_most_the_bound_of_claims_waiting(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """The bound is per resident, not per request: in one kiosk upload, the flooding
    resident's claims past the bound are refused one by one and the others' are all taken;
    the single endpoint refuses the same way."""
    w = gateway_world
    bound = DEFAULT_BOUND
    mallory = w.residents[0]
    others = [claim_body(w, r)[0] for r in w.residents[1:4]]
    junk = _junk(w, mallory, bound + 5)
    results = _flood(api, [*junk[:10], *others, *junk[10:]])
    mine = [x for x in results if x["index"] < 10 or x["index"] >= 13]
    assert [x["accepted"] for x in mine] == [True] * bound + [False] * 5
    refused = mine[bound]["error"]
    assert (refused["status"], refused["code"]) == (429, "too_many_waiting_claims")
    assert refused["details"] == {"waiting": bound, "limit": bound}
    assert all(x["accepted"] for x in results[10:13])
    one = api.post("/v1/claims", json=junk[bound])
    assert _error(one) == (429, "too_many_waiting_claims"), one.text
    assert "confirm" in one.json()["error"]["message"]
    assert sum(s == "waiting" for s in statuses(services).values()) == bound + 3


@settings(max_claim_deadline_seconds=UINT48, max_waiting_claims_per_resident=2)
def test_claims_that_met_their_quorum_free_their_place(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """Only claims waiting for confirmations count: confirmed ones leave room for more."""
    w = gateway_world
    alice, peer = w.residents[0], w.residents[1]
    first, second, third = _junk(w, alice, 3)
    ids = [x["record_id"] for x in _flood(api, [first, second, third]) if x["accepted"]]
    assert len(ids) == 2
    for evaluator, kind in ((w.superior, SUPERIOR), (peer, PEER)):
        r = api.post("/v1/confirmations", json=confirm_body(w, evaluator, kind, ids[:1]))
        assert r.status_code == 202, r.text
    assert api.post("/v1/claims", json=third).status_code == 202


# ---------------------------------------------------------------------- (b) deadlines


@settings(max_waiting_claims_per_resident=10_000)
def test_a_claim_deadline_beyond_the_maximum_is_refused(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    horizon = DEFAULT_HORIZON
    alice, bob = w.residents[0], w.residents[1]
    now = w.now()
    far, _ = claim_body(w, alice, deadline=now + horizon + 1)
    one = api.post("/v1/claims", json=far)
    assert _error(one) == (422, "deadline_too_far"), one.text
    assert one.json()["error"]["details"] == {
        "deadline": now + horizon + 1,
        "now": now,
        "max_seconds": horizon,
    }
    [line] = _flood(api, [claim_body(w, bob, deadline=UINT48)[0]])
    assert _error(line) == (422, "deadline_too_far")
    edge, edge_id = claim_body(w, alice, deadline=now + horizon)
    assert api.post("/v1/claims", json=edge).status_code == 202
    assert statuses(services) == {edge_id: "waiting"}


# ---------------------------------------------------------------------- (c) the queue


@settings(**ROOMY)
def test_the_queue_takes_residents_in_turn(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """With the other bounds out of the way: one resident's thousand claims take one place per
    round of the queue; every other resident's oldest claim comes before their second."""
    w = gateway_world
    mallory, alice, bob = w.residents[0], w.residents[1], w.residents[2]
    flood = _flood(api, _junk(w, mallory, 1000))
    assert all(x["accepted"] for x in flood)
    junk = [x["record_id"] for x in flood]
    alice_ids = [x["record_id"] for x in _flood(api, _junk(w, alice, 2))]
    bob_body, bob_id = claim_body(w, bob)
    assert api.post("/v1/claims", json=bob_body).status_code == 202
    as_superior = sign_in(api, w.superior.key)
    first = _queue(api, as_superior, limit=5)
    assert first == [junk[0], alice_ids[0], bob_id, junk[1], alice_ids[1]]
    assert _queue(api, as_superior) == [*first, *junk[2:97]]


def test_claims_the_evaluator_confirmed_take_no_place_in_their_queue(
    api: TestClient, gateway_world: World
) -> None:
    """An evaluator's queue leaves out what they confirmed before it counts the page, so a
    page of claims they confirmed (still waiting for other kinds) does not show as empty."""
    w = gateway_world
    ids = []
    for resident in w.residents[:3]:
        body, rid = claim_body(w, resident)
        assert api.post("/v1/claims", json=body).status_code == 202
        ids.append(rid)
    done = confirm_body(w, w.superior, SUPERIOR, ids[:2])
    assert api.post("/v1/confirmations", json=done).status_code == 202
    assert _queue(api, sign_in(api, w.superior.key), limit=1) == ids[2:]


# ---------------------------------------------------------------------- reading one claim


def test_a_claim_is_hidden_from_callers_not_entitled_to_it(
    api: TestClient, gateway_world: World
) -> None:
    """Another resident learns nothing from ``GET /v1/claims/{id}``: a claim that is not theirs
    answers exactly as a claim that does not exist. Its resident and officials read it."""
    w = gateway_world
    alice, bob = w.residents[0], w.residents[1]
    body, rid = claim_body(w, alice, deadline=w.now() + HOUR)
    assert api.post("/v1/claims", json=body).status_code == 202
    nobody = "0x" + "ab" * 32
    as_bob = sign_in(api, bob.key)
    theirs = api.get(f"/v1/claims/{rid}", headers=as_bob)
    missing = api.get(f"/v1/claims/{nobody}", headers=as_bob)
    assert theirs.status_code == missing.status_code == 404, theirs.text
    assert theirs.text.replace(rid, nobody) == missing.text  # the same answer, but for the id
    for reader in (alice, w.superior):
        seen = api.get(f"/v1/claims/{rid}", headers=sign_in(api, reader.key))
        assert seen.status_code == 200, seen.text
        assert seen.json()["record_id"] == rid
    official = api.get(f"/v1/claims/{nobody}", headers=sign_in(api, w.superior.key))
    assert official.status_code == 404
    assert official.text == missing.text
