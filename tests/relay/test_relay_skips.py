"""One resident voiding their own claim in a relayed batch (issue 14, finding 3): the real relay,
the real app and a real EVM. The ledger skips that claim (ClaimSkipped); the relay rejects it for
its resident only, and every other claim of the batch is credited with its endorsements used."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay import records
from credit.relay.outbox import Hooks
from credit.relay.service import Relay
from credit.store.relay_tables import relay_endorsements
from tests.support.relay_helpers import claim_body, confirm_body, credited_events, rows, statuses
from tests.support.world import PEER, SUPERIOR, World, wait_until

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


def _endorsement_statuses(services: Services) -> list[str]:
    with services.engine.connect() as conn:
        return list(conn.execute(select(relay_endorsements.c.status)).scalars())


def _settled(services: Services) -> bool:
    found = rows(services)
    return bool(found) and all(r["status"] in ("mined", "failed") for r in found)


def test_a_front_run_cancel_voids_only_that_residents_claim(
    services: Services, gateway_world: World
) -> None:
    """Three residents' claims, each evaluator confirming all three with one signature. Once the
    relay has signed and stored the batch, before it is broadcast, the middle resident moves
    their nonce on (cancelClaimNonces, about 30k gas): the batch still credits the other two."""
    w = gateway_world
    a, b, c = w.residents[:3]
    b_nonce = int(w.ledger.functions.claimNonce(b.address).call())
    front_run: list[Any] = []

    def cancel_before_broadcast(oid: int) -> None:
        if not front_run:
            front_run.append(b.send(w.ledger.functions.cancelClaimNonces(b_nonce + 1)))

    relay = Relay(services, hooks=Hooks(after_store=cancel_before_broadcast))
    services.relay = relay  # accepting only: the relay threads start once every claim is pending
    with TestClient(create_app(services)) as client:
        ids = []
        for resident in (a, b, c):
            body, rid = claim_body(w, resident, units=2)
            assert client.post("/v1/claims", json=body).status_code == 202
            ids.append(rid)
        for actor, kind in ((w.superior, SUPERIOR), (w.residents[3], PEER)):
            r = client.post("/v1/confirmations", json=confirm_body(w, actor, kind, ids))
            assert r.status_code == 202, r.text
        assert set(statuses(services).values()) == {"pending"}
        relay.start()
        try:
            assert wait_until(lambda: _settled(services), 30), rows(services)
        finally:
            relay.stop()
    assert front_run, "the resident's cancel did not run before the broadcast"
    assert [r["status"] for r in rows(services)] == ["mined"]
    assert statuses(services) == {ids[0]: "credited", ids[1]: "rejected", ids[2]: "credited"}
    assert sorted(credited_events(w, 0)) == sorted([ids[0], ids[2]])
    assert (w.credit(a), w.credit(b), w.credit(c)) == (20, 0, 20)
    assert _endorsement_statuses(services) == ["used", "used"]  # neither went stale
    reason = relay.claim_status(ids[1])["reason"]
    assert reason["error"] == "ClaimSkipped"
    assert reason["args"] == {
        "reason": "NONCE",
        "expectedNonce": b_nonce + 1,
        "givenNonce": b_nonce,
    }


def _row(resident: str, nonce: int) -> dict[str, Any]:
    return {
        "record_id": "0x" + f"{nonce:064x}",
        "resident": resident,
        "category": 1,
        "units": 1,
        "occurred_at": 1,
        "evidence": "0x" + "00" * 32,
        "nonce": nonce,
        "deadline": 2**40,
        "r": "0x" + "11" * 32,
        "vs": "0x" + "22" * 32,
    }


def test_a_nonce_moved_on_rejects_only_the_claims_below_it(services: Services) -> None:
    """The chain showed the resident's nonce at 5 when their claim 3 was skipped: claim 4 can
    never be booked (NonceMoved), claims 5 and 6 still can; another resident is untouched."""
    me, other = "0x" + "aa" * 20, "0x" + "bb" * 20
    with services.engine.begin() as conn:
        records.insert_claims(conn, [_row(me, n) for n in (3, 4, 5, 6)])
        records.insert_claims(conn, [{**_row(other, 7), "record_id": "0x" + "77" * 32}])
        reason = records.reason_json("ClaimSkipped", "moved", {"reason": "NONCE"})
        records.reject(conn, ["0x" + f"{3:064x}"], reason, {me: 5})
    got = statuses(services)
    assert [got["0x" + f"{n:064x}"] for n in (3, 4, 5, 6)] == [
        "rejected",
        "rejected",
        "waiting",
        "waiting",
    ]
    assert got["0x" + "77" * 32] == "waiting"
    with services.engine.connect() as conn:
        why = records.claim_row(conn, "0x" + f"{4:064x}")["reason"]
    assert '"NonceMoved"' in why and '"nonce": 5' in why


def test_a_claim_at_the_last_nonce_is_refused_at_intake(
    services: Services, gateway_world: World
) -> None:
    """A resident who moved their nonce to its last value (2^32-1) has closed their claims: the
    ledger never uses that value, so intake refuses the claim with a clear 422 instead of taking
    it in for a batch that could only skip it."""
    w = gateway_world
    last = 2**32 - 1
    resident = w.residents[0]
    resident.send(w.ledger.functions.cancelClaimNonces(last))
    services.relay = Relay(services)  # accepting only
    with TestClient(create_app(services)) as client:
        body, _ = claim_body(w, resident, nonce=last)
        r = client.post("/v1/claims", json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "claim_nonces_exhausted"), r.text
    assert r.json()["error"]["details"] == {"nonce": last}
    assert statuses(services) == {}
