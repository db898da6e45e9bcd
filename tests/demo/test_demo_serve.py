"""`credit demo` (the README's first command) serves the gateway and keeps state across restarts."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.auth_helpers import build_message, sign
from tests.support.demo_server import DEMO, Demo, DemoProcess

ANA = DEMO["ana"]  # the demo's first resident
SESSIONS: dict[tuple[str, str], dict[str, str]] = {}  # (url, address) -> headers: sign in once


def _summary(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=10) as client:
        nonce = client.post("/v1/auth/nonce").json()
        message = build_message(nonce, ANA.address)
        login = client.post(
            "/v1/auth/login", json={"message": message, "signature": sign(ANA.key, message)}
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        for _ in range(100):  # the indexer catches up with the seeded city
            summary = client.get(f"/v1/residents/{ANA.address}", headers=headers).json()
            if summary.get("credit"):
                return summary
            time.sleep(0.1)
    raise AssertionError(f"no credit in the summary: {summary}")


def test_demo_serves_and_restarts_with_the_same_balances(tmp_path: Path) -> None:
    """Killed right after its first start (SIGKILL: nothing flushed on the way out), then
    stopped as a service manager stops it (SIGTERM): each restart serves the same city."""
    demo = DemoProcess(tmp_path / "var")
    try:
        demo.start()
        first = _summary(demo.url)
        # 3 h volunteering + 2 community-service sessions + verifying period 1 (20)
        assert first["credit"] == 80
        assert httpx.get(f"{demo.url}/v1/config").json()["chain_id"] == 131277322940537
        for stop in (signal.SIGKILL, signal.SIGTERM):
            demo.stop(stop)
            demo.start()
            again = _summary(demo.url)
            assert again["credit"] == first["credit"], stop
            assert again["earnings"] == first["earnings"], stop
            assert [r["record_id"] for r in again["records"]] == [
                r["record_id"] for r in first["records"]
            ], stop
    finally:
        demo.stop()


def _signed_in(client: httpx.Client, account: Any) -> dict[str, str]:
    key = (str(client.base_url), account.address)
    if key not in SESSIONS:
        SESSIONS[key] = _login(client, account)
    return SESSIONS[key]


def _login(client: httpx.Client, account: Any) -> dict[str, str]:
    nonce = client.post("/v1/auth/nonce").json()
    message = build_message(nonce, account.address)
    login = client.post(
        "/v1/auth/login", json={"message": message, "signature": sign(account.key, message)}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def _rules(client: httpx.Client, name: str) -> dict[str, dict[str, Any]]:
    """``name``'s current notices by rule id (each rule gives one notice per recipient here)."""
    account = DEMO[name]
    body = client.get(
        f"/v1/residents/{account.address}/notices", headers=_signed_in(client, account)
    ).json()
    return {n["rule_id"]: n for n in body["notices"]}


def test_the_demo_city_has_every_loop_ready_to_try(demo: Demo) -> None:
    """After the seed, each role signs in and finds its loop's starting point."""
    url = demo.url
    _summary(url)  # the index caught up
    with httpx.Client(base_url=url, timeout=10) as client:
        arbiter = {}
        for _ in range(100):
            arbiter = _rules(client, "arbiter")
            if "appeals-waiting" in arbiter:
                break
            time.sleep(0.1)
        # the arbiter: Eli's appeal waits for a decision
        waiting = arbiter["appeals-waiting"]
        assert waiting["data"]["count"] == 1 and waiting["rule_set_version"] == 1
        # each official's queue holds claims the gateway keeps until they are confirmed
        for name in ("centre", "sanitation", "panel", "expert"):
            headers = _signed_in(client, DEMO[name])
            queue = client.get("/v1/confirmations/queue", headers=headers).json()["claims"]
            assert queue, name
            assert "confirmations-requested" in _rules(client, name), name
        # residents: credit about to expire, an appeal window closing, claims waiting
        dara = _rules(client, "dara")
        assert "expiry-soon" in dara
        # Dara's claim was rejected with a reason, which Dara's notice and claims both tell
        assert dara["claim-rejected"]["data"]["reason"] == "wrong_amount"
        headers = _signed_in(client, DEMO["dara"])
        mine = client.get(f"/v1/residents/{DEMO['dara'].address}/claims", headers=headers)
        [rejected] = [c for c in mine.json()["claims"] if c["status"] == "rejected"]
        assert rejected["rejection"]["code"] == "wrong_amount"
        # the arbiter reads Eli's statement beside the report
        headers = _signed_in(client, DEMO["arbiter"])
        appeals = client.get("/v1/appeals?status=open", headers=headers).json()["appeals"]
        assert "river clean-up" in appeals[0]["appeal"]["statement"]["text"]
        chen = _rules(client, "chen")
        assert "appeal-deadline" in chen and chen["appeal-deadline"]["appeal"]
        fang = _rules(client, "fang")["claim-waiting"]
        assert fang["evidence"][0]["tx_hash"] is None  # held by the gateway
        assert "share link" in fang["message"]["en"]
        assert "claim-waiting" in _rules(client, "ana")
        assert "claim-waiting" in _rules(client, "bo")
        # Chen's period with a violation was paid on the points earned
        headers = _signed_in(client, DEMO["chen"])
        rewards = client.get(f"/v1/residents/{DEMO['chen'].address}/rewards", headers=headers)
        paid = {p["epoch"]: p["points"] for p in rewards.json()["payments"]}
        assert paid[24] == 20  # 2 hours of volunteering; the 20-point violation took credit
        # period 1 was verified: four residents agreed and were credited, Eli disagreed
        verified = client.get("/v1/verification/epochs/1").json()
        assert (verified["phase"], verified["reveals"]) == ("finalised", 5)
        ballots = {v["address"]: v for v in verified["verifiers"]}
        for name in ("ana", "bo", "chen", "fang"):
            assert ballots[DEMO[name].address]["credited"] is True, name
        assert ballots[DEMO["eli"].address]["agreed"] is False
        assert ballots[DEMO["eli"].address]["credited"] is False
        # the last period's commit window is open for the visitor
        current = client.get("/v1/verification").json()["current_epoch"]
        assert client.get(f"/v1/verification/epochs/{current - 1}").json()["phase"] == (
            "committing"
        )
