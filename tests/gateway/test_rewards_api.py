"""Reward runs over HTTP: idempotency, exactly-once minting, resuming after a crash."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.gateway.app import create_app
from credit.gateway.rewards import RewardService
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.store.reward_tables import reward_txs
from tests.support.auth_helpers import sign_in
from tests.support.world import EPOCH, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


RATE = 10**17


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.background.append(services.indexer)
    with TestClient(create_app(services)) as c:
        yield c


def _earn_then_end_epoch(w: World, n: int = 3) -> int:
    epoch = w.epoch()
    for resident in w.residents[:n]:
        w.credit_one(resident, 1, 2)  # 20 points each
    w.advance(EPOCH + 1)
    return epoch


def _wait_done(client: TestClient, run_id: int, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(500):
        run = client.get(f"/v1/rewards/runs/{run_id}", headers=headers).json()
        if run["status"] in ("done", "failed"):
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def _minted(w: World) -> list[Any]:
    logs = w.ledger.events.RewardMinted().get_logs(from_block=0)
    return [log for log in logs if log["address"] == w.ledger.address]


def test_mint_run_pays_each_earner_once(app_client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    epoch = _earn_then_end_epoch(w)
    h = sign_in(app_client, w.minter.key)
    r = app_client.post(
        "/v1/rewards/mint", json={"epoch": epoch}, headers={**h, "Idempotency-Key": "run-1"}
    )
    assert r.status_code == 202, r.text
    run = _wait_done(app_client, r.json()["id"], h)
    assert run["status"] == "done" and run["progress"] == {"paid": 3, "total": 3}
    for resident in w.residents[:3]:
        assert w.ledger.functions.balanceOf(resident.address).call() == 20 * RATE
    # the same key and body: the stored run; another body: refused; no key: 400
    again = app_client.post(
        "/v1/rewards/mint", json={"epoch": epoch}, headers={**h, "Idempotency-Key": "run-1"}
    )
    assert again.status_code == 200 and again.json()["id"] == run["id"]
    w.advance(EPOCH)  # so that epoch + 1 has ended too, and only the key reuse is wrong
    other = app_client.post(
        "/v1/rewards/mint", json={"epoch": epoch + 1}, headers={**h, "Idempotency-Key": "run-1"}
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert app_client.post("/v1/rewards/mint", json={"epoch": epoch}, headers=h).status_code == 400
    # a new key for a paid epoch: nothing left to pay, nothing sent
    fresh = app_client.post(
        "/v1/rewards/mint", json={"epoch": epoch}, headers={**h, "Idempotency-Key": "run-2"}
    )
    assert _wait_done(app_client, fresh.json()["id"], h)["progress"] == {"paid": 0, "total": 0}
    assert len(_minted(w)) == 3
    resident = w.residents[0]
    mine = app_client.get(
        f"/v1/residents/{resident.address}/rewards", headers=sign_in(app_client, resident.key)
    )
    assert mine.json()["balance"] == str(20 * RATE)


def test_only_minters_and_only_ended_epochs(app_client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    h_resident = sign_in(app_client, w.residents[0].key)
    body, key = {"epoch": 0}, {"Idempotency-Key": "k"}
    assert (
        app_client.post("/v1/rewards/mint", json=body, headers={**h_resident, **key}).status_code
        == 403
    )
    h = sign_in(app_client, w.minter.key)
    r = app_client.post("/v1/rewards/mint", json={"epoch": w.epoch()}, headers={**h, **key})
    assert r.status_code == 422 and r.json()["error"]["code"] == "epoch_not_ended"
    extra = app_client.post(
        "/v1/rewards/mint", json={"epoch": 0, "amount": 10**30}, headers={**h, **key}
    )
    assert extra.status_code == 422 and extra.json()["error"]["code"] == "invalid_request"


def test_fifty_concurrent_duplicates_mint_once(
    app_client: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    epoch = _earn_then_end_epoch(w, 4)
    h = {**sign_in(app_client, w.minter.key), "Idempotency-Key": "same-run"}
    statuses: list[int] = []
    ids: set[int] = set()

    def ask() -> None:
        r = app_client.post("/v1/rewards/mint", json={"epoch": epoch}, headers=h)
        statuses.append(r.status_code)
        ids.add(r.json()["id"])

    threads = [threading.Thread(target=ask) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(statuses)) in ([200, 202], [202]) and statuses.count(202) == 1
    assert len(ids) == 1
    run = _wait_done(app_client, ids.pop(), h)
    assert run["progress"] == {"paid": 4, "total": 4} and len(run["transactions"]) == 1
    assert len(_minted(w)) == 4


def test_a_crash_after_storing_resends_the_same_bytes(
    services: Services, gateway_world: World
) -> None:
    w = gateway_world
    epoch = _earn_then_end_epoch(w, 2)
    services.indexer = Indexer(services.system, services.engine)
    minter = Account.from_key(services.settings.minter_private_key())
    first = RewardService(services, minter)  # never started: it "crashes" right after storing
    status, run = first.request("crash-run", epoch)
    assert status == 202
    earners = [r.address.lower() for r in w.residents[:2]]
    _, raw, tx_hash = first._store(run["id"], epoch, earners)
    second = RewardService(services, minter)
    second.start()
    try:
        for _ in range(500):
            if second.run(run["id"])["status"] == "done":
                break
            time.sleep(0.02)
    finally:
        second.stop()
    with services.engine.connect() as conn:
        rows = conn.execute(select(reward_txs)).mappings().all()
    assert len(rows) == 1 and bytes(rows[0]["raw_tx"]) == raw and rows[0]["status"] == "mined"
    assert len(_minted(w)) == 2
    assert w.w3.eth.get_transaction(tx_hash)["hash"].to_0x_hex() == tx_hash
