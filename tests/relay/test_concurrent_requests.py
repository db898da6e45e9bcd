"""Requests that store claims and confirmations run side by side (on PostgreSQL they share the
relay's lock: :func:`credit.relay.transaction.alongside`), yet decide as if one at a time: two
confirmations of one claim count each other, and two claims of one resident never take one
nonce."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay.service import Relay
from credit.relay.transaction import RESIDENT_LOCKS
from tests.support.relay_helpers import claim_body, confirm_body, new_residents, statuses
from tests.support.world import PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)

N = 16  # claims (or residents) raced at once


def all_at_once(bodies: list[tuple[str, dict[str, Any]]], api: TestClient) -> list[Any]:
    """POST every (path, body) from its own thread, released together; the responses."""
    start = threading.Barrier(len(bodies))

    def post(item: tuple[str, dict[str, Any]]) -> Any:
        start.wait()
        return api.post(item[0], json=item[1])

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_two_confirmations_of_one_claim_at_once_meet_its_quorum(
    services: Services, gateway_world: World
) -> None:
    """A peer's and a superior's confirmation of a claim arrive at the same instant: neither
    alone meets the quorum, both together do, so the claim is pending whichever stored first."""
    w = gateway_world
    residents = new_residents(w, N, seed=91_000)
    services.relay = Relay(services)  # accepting only: no batch takes the pending claims away
    with TestClient(create_app(services)) as api:
        ids = []
        for resident in residents:
            body, rid = claim_body(w, resident, nonce=0)
            assert api.post("/v1/claims", json=body).status_code == 202
            ids.append(rid)
        bodies = []
        for k, rid in enumerate(ids):
            peer = residents[(k + 1) % N]
            bodies.append(("/v1/confirmations", confirm_body(w, peer, PEER, [rid])))
            bodies.append(("/v1/confirmations", confirm_body(w, w.superior, SUPERIOR, [rid])))
        answers = all_at_once(bodies, api)
    assert [a.status_code for a in answers] == [202] * len(bodies), [a.json() for a in answers]
    assert {rid: statuses(services)[rid] for rid in ids} == dict.fromkeys(ids, "pending")


def test_two_claims_of_one_resident_at_once_take_its_nonce_once(
    services: Services, gateway_world: World
) -> None:
    """Two different claims of one resident with one nonce arrive at the same instant: one is
    stored, the other refused as ``nonce_used`` (409), never both, never a server error."""
    w = gateway_world
    residents = new_residents(w, N, seed=92_000)
    services.relay = Relay(services)
    with TestClient(create_app(services)) as api:
        bodies = [
            ("/v1/claims", claim_body(w, resident, units=units, nonce=0)[0])
            for resident in residents
            for units in (1, 2)
        ]
        answers = all_at_once(bodies, api)
    for k in range(N):
        pair = sorted(answers[2 * k : 2 * k + 2], key=lambda a: a.status_code)
        assert [a.status_code for a in pair] == [202, 409], [a.json() for a in pair]
        assert pair[1].json()["error"]["code"] == "nonce_used"
    assert sorted(statuses(services).values()) == ["waiting"] * N


def test_kiosk_uploads_and_single_claims_at_once_take_each_nonce_once(
    services: Services, gateway_world: World
) -> None:
    """Two kiosks upload claims of the same residents, more of them than a request locks one by
    one (:data:`credit.relay.transaction.RESIDENT_LOCKS`), while some of those residents post
    their own: each resident's nonce is taken by exactly one claim, never a server error."""
    w = gateway_world
    residents = new_residents(w, RESIDENT_LOCKS + 6, seed=93_000)
    few = residents[:4]
    services.relay = Relay(services)
    with TestClient(create_app(services)) as api:
        uploads = [
            (
                "/v1/claims/batch",
                {"claims": [claim_body(w, r, units=u, nonce=0)[0] for r in residents]},
            )
            for u in (1, 2)
        ]
        singles = [("/v1/claims", claim_body(w, r, units=3, nonce=0)[0]) for r in few]
        answers = all_at_once(uploads + singles, api)
    assert [a.status_code for a in answers[:2]] == [200, 200], [a.json() for a in answers[:2]]
    stored: dict[str, int] = {r.address.lower(): 0 for r in residents}
    for upload in answers[:2]:
        for line, resident in zip(upload.json()["results"], residents, strict=True):
            if line["accepted"]:
                stored[resident.address.lower()] += 1
            else:
                assert line["error"]["code"] in ("nonce_used", "duplicate_claim"), line
    for answer, resident in zip(answers[2:], few, strict=True):
        assert answer.status_code in (202, 409), answer.json()
        if answer.status_code == 202:
            stored[resident.address.lower()] += 1
        else:
            assert answer.json()["error"]["code"] == "nonce_used"
    assert stored == dict.fromkeys(stored, 1)
    assert sorted(statuses(services).values()) == ["waiting"] * len(residents)
