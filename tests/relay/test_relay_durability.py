"""The relay under load and failure: 40 concurrent relays, a crash between store and broadcast,
a node that refuses connections for a while. Nothing is lost, nothing is sent twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.chain import rawtx
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay.outbox import Hooks
from credit.relay.service import Relay
from tests.support.relay_helpers import (
    claim_body,
    confirm_body,
    credited_events,
    new_residents,
    relayer_nonce,
    rows,
    statuses,
    wait_credited,
    wire_relay,
)
from tests.support.world import PEER, SUPERIOR, World, wait_until

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


def test_forty_concurrent_relays_use_contiguous_nonces(
    services: Services, gateway_world: World
) -> None:
    w = gateway_world
    services.settings = services.settings.model_copy(update={"batch_max_size": 10})
    residents = new_residents(w, 40, seed=70_000)
    start_block, first_nonce = w.w3.eth.block_number, relayer_nonce(services)
    wire_relay(services)
    with TestClient(create_app(services)) as api:

        def claim_and_peer(k: int) -> str:
            body, rid = claim_body(w, residents[k], nonce=0)
            assert api.post("/v1/claims", json=body).status_code == 202
            peer = confirm_body(w, residents[(k + 1) % 40], PEER, [rid])
            assert api.post("/v1/confirmations", json=peer).status_code == 202
            return rid

        with ThreadPoolExecutor(40) as pool:
            ids = list(pool.map(claim_and_peer, range(40)))
            ordered = sorted(ids)
            chunks = [ordered[i : i + 5] for i in range(0, 40, 5)]
            officials = [(w.superior, SUPERIOR), (w.superior2, SUPERIOR)]  # volunteering needs one

            def official(j: int) -> int:
                actor, kind = officials[j % len(officials)]
                body = confirm_body(w, actor, kind, chunks[j])
                return api.post("/v1/confirmations", json=body).status_code

            assert list(pool.map(official, range(len(chunks)))) == [202] * len(chunks)
        wait_credited(services, ids, timeout=60)

    outbox = rows(services)
    assert {r["status"] for r in outbox} == {"mined"} and len(outbox) >= 4
    nonces = [r["nonce"] for r in outbox]
    assert nonces == list(range(first_nonce, first_nonce + len(outbox))), "no gap, no duplicate"
    for row in outbox:
        tx = w.w3.eth.get_transaction(row["tx_hash"])
        assert (tx["nonce"], tx["from"]) == (row["nonce"], services.relayer.address)
    assert relayer_nonce(services) == first_nonce + len(outbox)
    assert sorted(credited_events(w, start_block)) == ordered, "each claim credited exactly once"


CRASH_CASES = ["before-broadcast", "after-broadcast"]


@pytest.mark.parametrize("when", CRASH_CASES, ids=CRASH_CASES)
def test_a_crash_after_storing_loses_nothing_and_sends_nothing_twice(
    when: str, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    start_block, first_nonce = w.w3.eth.block_number, relayer_nonce(services)

    def crash(_: int) -> None:
        raise SystemExit("simulated crash between storing and broadcasting")

    first = wire_relay(services, Hooks(after_store=crash))
    with TestClient(create_app(services)) as api:
        ids = []
        for resident in w.residents[:3]:
            body, rid = claim_body(w, resident)
            assert api.post("/v1/claims", json=body).status_code == 202
            ids.append(rid)
        for actor, kind in ((w.superior, SUPERIOR), (w.residents[3], PEER)):
            assert (
                api.post("/v1/confirmations", json=confirm_body(w, actor, kind, ids)).status_code
                == 202
            )
        assert wait_until(lambda: not first.signer.alive, 30)
        first.stop()
        [stored] = rows(services)
        assert stored["status"] == "stored" and stored["nonce"] == first_nonce
        assert set(statuses(services).values()) == {"queued"}
        assert relayer_nonce(services) == first_nonce, "nothing was broadcast"
        if when == "after-broadcast":  # the node got it just before the process died
            rawtx.broadcast(w.w3, stored["raw_tx"])

        second = Relay(services)
        services.relay = second
        services.background.append(second)
        second.start()
        wait_credited(services, ids)

    [row] = rows(services)
    assert (row["status"], row["tx_hash"], row["raw_tx"]) == (
        "mined",
        stored["tx_hash"],
        stored["raw_tx"],
    )
    assert relayer_nonce(services) == first_nonce + 1
    assert sorted(credited_events(w, start_block)) == sorted(ids)
    with pytest.raises(rawtx.BroadcastError) as replay:  # a replay of the same bytes is refused
        rawtx.broadcast(w.w3, row["raw_tx"])
    assert replay.value.reason == "nonce_low"
    assert sorted(credited_events(w, start_block)) == sorted(ids)


def test_a_node_outage_delays_but_does_not_lose_or_duplicate(
    services: Services, gateway_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = gateway_world
    real, failures = rawtx.broadcast, []

    def flaky(w3: Any, raw: bytes) -> str:
        if len(failures) < 3:
            failures.append(raw)
            raise ConnectionError("connection refused")
        return real(w3, raw)

    monkeypatch.setattr(rawtx, "broadcast", flaky)
    first_nonce = relayer_nonce(services)
    relay = wire_relay(services)
    relay.signer.resend_after = 0.05
    with TestClient(create_app(services)) as api:
        body, rid = claim_body(w, w.residents[0])
        assert api.post("/v1/claims", json=body).status_code == 202
        for actor, kind in ((w.superior, SUPERIOR), (w.residents[1], PEER)):
            assert (
                api.post("/v1/confirmations", json=confirm_body(w, actor, kind, [rid])).status_code
                == 202
            )
        wait_credited(services, [rid])
    [row] = rows(services)
    assert row["status"] == "mined" and row["attempts"] == 4
    assert set(failures) == {row["raw_tx"]}, "every retry re-sent the stored bytes"
    assert relayer_nonce(services) == first_nonce + 1
