"""Violation reports over HTTP on a real EVM: who may report, what is refused before gas, the
confirmation queue, and booking with relayReports exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_keys import keys
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.chain.signing import Report
from credit.gateway.app import create_app
from credit.gateway.notices_service import NoticeService
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.store.relay_tables import relay_claims
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import (
    HOUR,
    claim_body,
    confirm_body,
    rejection_body,
    rows,
    statuses,
    wire_relay,
)
from tests.support.world import EXPERT, PEER, PUBLIC, SUPERIOR, World, wait_until

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


LITTERING = 100


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    """The app with a Relay wired into ``services`` (started and stopped by the lifespan)."""
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def report_body(
    world: World,
    reporter: Any,
    resident: Any,
    category: int = LITTERING,
    units: int = 1,
    *,
    nonce: int = 7,
    deadline: int | None = None,
    signer: Any = None,
    evidence: bytes = bytes(32),
) -> tuple[dict[str, Any], str]:
    """A signed POST /v1/reports body and the report's record id."""
    now = world.now()
    r = Report(
        resident.address,
        category,
        units,
        now - 600,
        nonce,
        evidence,
        now + 2 * HOUR if deadline is None else deadline,
        reporter=reporter.address,
    )
    digest = r.record_id(world.system.domain)
    signature = keys.PrivateKey((signer or reporter).key).sign_msg_hash(digest).to_bytes()
    body = {
        "reporter": reporter.address,
        "resident": resident.address,
        "category": category,
        "units": units,
        "occurred_at": r.occurred_at,
        "evidence": "0x" + evidence.hex(),
        "nonce": nonce,
        "deadline": r.deadline,
        "signature": "0x" + signature.hex(),
    }
    return body, "0x" + digest.hex()


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


ROLES = [
    pytest.param(None, 401, "unauthorized", id="anonymous"),
    pytest.param("resident0", 403, "not_official", id="resident-named"),
    pytest.param("resident1", 403, "not_official", id="peer"),
    pytest.param("superior", 202, None, id="superior"),
    pytest.param("expert", 202, None, id="expert"),
    pytest.param("panel", 202, None, id="public-panel"),
    pytest.param("arbiter", 403, "not_official", id="arbiter"),
    pytest.param("minter", 403, "not_official", id="minter"),
]


@pytest.mark.parametrize(("who", "status", "code"), ROLES)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_report(
    api: TestClient,
    services: Services,
    gateway_world: World,
    who: str | None,
    status: int,
    code: str | None,
) -> None:
    w = gateway_world
    reporter = getattr(w, who or "expert")
    body, rid = report_body(w, reporter, w.residents[0])
    headers = sign_in(api, reporter.key) if who else {}
    r = api.post("/v1/reports", json=body, headers=headers)
    if code is not None:
        assert _error(r) == (status, code), r.text
        assert rid not in statuses(services)
        return
    assert r.status_code == 202, r.text
    out = r.json()
    assert (out["record_id"], out["status"], out["reporter"]) == (
        rid,
        "waiting",
        reporter.address.lower(),
    )
    assert out["confirmations"]["needed"] == {
        "weight": 4,
        "count": 2,
        "kinds": ["SUPERIOR", "PUBLIC"],
    }


def test_the_signed_in_official_must_be_the_reporter(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    body, _ = report_body(w, w.expert, w.residents[0])
    r = api.post("/v1/reports", json=body, headers=sign_in(api, w.superior.key))
    assert _error(r) == (403, "not_reporter")


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        pytest.param("wrong-signer", 422, "invalid_signature", id="wrong-signer"),
        pytest.param("claim-category", 422, "not_a_violation_category", id="not-a-violation"),
        pytest.param("unknown-category", 422, "not_a_violation_category", id="unknown-category"),
        pytest.param("never-joined", 422, "not_a_resident", id="never-joined-resident"),
        pytest.param("expired", 422, "expired", id="expired-deadline"),
        pytest.param("too-many-units", 422, "invalid_units", id="too-many-units"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_bad_reports_are_refused_before_gas(
    api: TestClient, services: Services, gateway_world: World, case: str, status: int, code: str
) -> None:
    w = gateway_world
    kwargs: dict[str, Any] = {}
    resident = w.residents[0]
    if case == "wrong-signer":
        kwargs["signer"] = w.superior
    elif case == "claim-category":
        kwargs["category"] = 1
    elif case == "unknown-category":
        kwargs["category"] = 999
    elif case == "never-joined":
        resident = w.outsider
    elif case == "expired":
        kwargs["deadline"] = w.now() - 1
    elif case == "too-many-units":
        kwargs["units"] = 4
    body, _ = report_body(w, w.expert, resident, **kwargs)
    r = api.post("/v1/reports", json=body, headers=sign_in(api, w.expert.key))
    assert _error(r) == (status, code), r.text
    assert statuses(services) == {}
    assert r.json()["error"]["message"]


def test_a_former_resident_can_still_be_reported(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    leaver = w.residents[5]
    leaver.send(w.ledger.functions.deregisterResident(leaver.address))
    body, _ = report_body(w, w.panel, leaver)
    r = api.post("/v1/reports", json=body, headers=sign_in(api, w.panel.key))
    assert r.status_code == 202, r.text


def test_a_duplicate_report_is_refused(api: TestClient, gateway_world: World) -> None:
    w = gateway_world
    body, rid = report_body(w, w.expert, w.residents[0])
    headers = sign_in(api, w.expert.key)
    assert api.post("/v1/reports", json=body, headers=headers).status_code == 202
    again = api.post("/v1/reports", json=body, headers=headers)
    assert _error(again) == (409, "duplicate_report")
    assert again.json()["error"]["details"] == {"record_id": rid, "status": "waiting"}
    other, other_id = report_body(w, w.expert, w.residents[0], nonce=8)  # another incident
    assert api.post("/v1/reports", json=other, headers=headers).status_code == 202
    assert other_id != rid


def _queue(api: TestClient, who: Any) -> list[str]:
    r = api.get("/v1/confirmations/queue", headers=sign_in(api, who.key))
    assert r.status_code == 200, r.text
    return [c["record_id"] for c in r.json()["claims"]]


def test_a_confirmed_report_is_booked_once_and_warns_its_resident(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """An expert reports; the report is in the queue of the superior and the panel, never in
    the expert's; a superior and the panel confirm; the relay books it with relayReports, once;
    the resident's notices then carry the warning with the rule's text."""
    w = gateway_world
    ana = w.residents[0]
    w.credit_one(ana, 1, 3)  # 30 points to lose 20 of
    start = w.w3.eth.block_number
    body, rid = report_body(w, w.expert, ana)
    assert api.post("/v1/reports", json=body, headers=sign_in(api, w.expert.key)).status_code == 202
    assert rid in _queue(api, w.superior) and rid in _queue(api, w.panel)
    assert rid not in _queue(api, w.expert)  # the reporter never confirms their own report
    # the reporter may not confirm it, nor the resident, nor may one confirmation mix kinds
    own = api.post("/v1/confirmations", json=confirm_body(w, w.expert, EXPERT, [rid]))
    assert _error(own) == (403, "self_confirmation")
    by_ana = api.post("/v1/confirmations", json=confirm_body(w, ana, PEER, [rid]))
    assert _error(by_ana) == (403, "self_confirmation")
    r = api.post("/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [rid]))
    assert r.status_code == 202, r.text
    assert r.json()["claims"][0]["status"] == "waiting"
    r = api.post("/v1/confirmations", json=confirm_body(w, w.panel, PUBLIC, [rid]))
    assert r.status_code == 202, r.text
    assert wait_until(lambda: statuses(services).get(rid) == "credited", 30), statuses(services)
    logs = w.ledger.events.ViolationRecorded().get_logs(from_block=start)
    assert ["0x" + bytes(log["args"]["recordId"]).hex() for log in logs] == [rid]
    assert w.credit(ana) == 10
    [row] = [o for o in rows(services) if o["status"] == "mined"]
    with services.engine.connect() as conn:
        stored = conn.execute(select(relay_claims).where(relay_claims.c.record_id == rid)).one()
    assert (stored.tx_hash, stored.points) == (row["tx_hash"], 20)
    assert len(rows(services)) == 1  # one transaction, never resent as another
    as_ana = sign_in(api, ana.key)
    status = api.get(f"/v1/claims/{rid}", headers=as_ana).json()
    assert (status["status"], status["reporter"]) == ("credited", w.expert.address.lower())

    services.indexer = Indexer(services.system, services.engine)  # the booking, indexed
    services.indexer.sync()
    notices = NoticeService(services).notices_for(ana.address)
    [n] = [n for n in notices if n["rule_id"] == "violation-recorded"]
    assert n["data"]["record_id"] == rid and n["data"]["tx_hash"] == stored.tx_hash
    assert n["data"]["rule_text"]["en"].startswith("Dropping or leaving litter")
    assert n["appeal"]["record_ids"] == [rid]


def test_a_confirmation_cannot_name_a_claim_and_a_report(
    api: TestClient, gateway_world: World
) -> None:
    from tests.support.relay_helpers import claim_body

    w = gateway_world
    claim, claim_id = claim_body(w, w.residents[1])
    assert api.post("/v1/claims", json=claim).status_code == 202
    body, rid = report_body(w, w.expert, w.residents[0])
    assert api.post("/v1/reports", json=body, headers=sign_in(api, w.expert.key)).status_code == 202
    mixed = api.post(
        "/v1/confirmations", json=confirm_body(w, w.superior, SUPERIOR, [claim_id, rid])
    )
    assert _error(mixed) == (422, "mixed_records")


def test_a_revert_naming_a_reporter_rejects_only_their_reports() -> None:
    """Pure: a reporter who lost their role between intake and booking; their reports are
    rejected, the others go back to planning."""
    from credit.relay.outcome import SentClaim, judge

    expert, panel = "0x" + "e1" * 20, "0x" + "e2" * 20
    carried = [
        SentClaim("0x" + "01" * 32, "0x" + "a1" * 20, 100, 1, 1, 7, 9, expert),
        SentClaim("0x" + "02" * 32, "0x" + "a2" * 20, 100, 1, 1, 7, 9, panel),
    ]
    verdict = judge("LedgerNotOfficialReporter", {"reporter": expert}, carried, [])
    assert verdict.reject == ("0x" + "01" * 32,) and verdict.attributed


def test_a_report_whose_reporter_lost_their_role_is_rejected_with_the_reason(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    """The expert's role is revoked after the report was accepted: relayReports reverts with
    LedgerNotOfficialReporter, the settlement rejects that report (never resent) and says why."""
    from credit.chain import role_id

    w = gateway_world
    body, rid = report_body(w, w.expert, w.residents[0])
    assert api.post("/v1/reports", json=body, headers=sign_in(api, w.expert.key)).status_code == 202
    w.operator.send(w.ledger.functions.revokeRole(role_id("EXPERT_ROLE"), w.expert.address))
    for who, kind in ((w.superior, SUPERIOR), (w.panel, PUBLIC)):
        r = api.post("/v1/confirmations", json=confirm_body(w, who, kind, [rid]))
        assert r.status_code == 202, r.text
    assert wait_until(lambda: statuses(services).get(rid) == "rejected", 30), statuses(services)
    status = api.get(f"/v1/claims/{rid}", headers=sign_in(api, w.superior.key)).json()
    assert status["reason"]["error"] == "LedgerNotOfficialReporter"
    assert [o["status"] for o in rows(services)] == ["failed"]


def test_a_waiting_report_is_not_one_of_its_residents_claims(
    api: TestClient, gateway_world: World
) -> None:
    """Reports share the relay's table with claims: a report about a resident stays out of the
    resident's claim list, cannot be rejected like a claim, and closes none of their claims."""
    w = gateway_world
    ana = w.residents[0]
    signed, claim_id = claim_body(w, ana, 1, 2)
    claim = api.post("/v1/claims", json=signed)
    assert claim.status_code == 202, claim.text
    body, rid = report_body(w, w.expert, ana)
    assert api.post("/v1/reports", json=body, headers=sign_in(api, w.expert.key)).status_code == 202
    mine = api.get(f"/v1/residents/{ana.address}/claims", headers=sign_in(api, ana.key))
    assert mine.status_code == 200, mine.text
    assert [c["record_id"] for c in mine.json()["claims"]] == [claim_id]
    refused = api.post(
        f"/v1/claims/{rid}/rejections", json=rejection_body(w, w.superior, SUPERIOR, rid)
    )
    assert _error(refused) == (409, "not_a_claim")
    rejected = api.post(
        f"/v1/claims/{claim_id}/rejections", json=rejection_body(w, w.superior, SUPERIOR, claim_id)
    )
    assert rejected.status_code == 201, rejected.text
    assert rid in _queue(api, w.panel)  # the report still waits for its quorum
