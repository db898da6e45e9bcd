"""Appeal -> decision through the API: the resident's statement, the arbiters' inbox, the signed
decision with its reasoning, the outcome the resident reads; every route for every role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_keys import keys
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.chain import role_id
from credit.chain.eip712 import digest
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.store.evidence_tables import evidence_access
from tests.support.auth_helpers import sign_in
from tests.support.ledger_flows import credit, relay_violation, report_directly
from tests.support.world import PUBLIC, SUPERIOR, Actor, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


NO_DEADLINE = 2**48 - 1
STATEMENT = "I was at work in another district that morning; my badge log shows it."
REASONING = "The badge log places the resident elsewhere at the reported time."


def _signature(key: bytes, primary: str, message: dict[str, Any], w: World) -> str:
    sig = keys.PrivateKey(key).sign_msg_hash(digest(w.system.domain, primary, message))
    return "0x" + sig.to_bytes().hex()


def _text(client: TestClient, headers: dict[str, str], text: str) -> dict[str, Any]:
    stored = client.post(
        "/v1/evidence",
        content=text.encode(),
        headers={**headers, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert stored.status_code == 201, stored.text
    out: dict[str, Any] = stored.json()
    return out


def _sync(services: Services) -> None:
    if services.indexer is None:
        services.indexer = Indexer(services.system, services.engine)
    services.indexer.sync()


def _nonce(w: World, actor: Actor) -> int:
    return int(w.ledger.functions.nonces(actor.address).call())


def appeal_body(
    client: TestClient, w: World, resident: Actor, rid: bytes, headers: dict[str, str]
) -> dict[str, Any]:
    """The resident's statement stored, their Appeal over its commitment signed."""
    stored = _text(client, headers, STATEMENT)
    message = {
        "recordId": rid,
        "statement": bytes.fromhex(stored["commitment"][2:]),
        "nonce": _nonce(w, resident),
        "deadline": NO_DEADLINE,
    }
    return {
        "record_id": "0x" + rid.hex(),
        "statement": stored["commitment"],
        "nonce": message["nonce"],
        "deadline": NO_DEADLINE,
        "signature": _signature(resident.key, "Appeal", message, w),
    }


def decision_body(
    client: TestClient,
    w: World,
    arbiter: Actor,
    rid: bytes,
    overturn: bool,
    headers: dict[str, str],
    reasoning: str = REASONING,
    signed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The arbiter's reasoning stored, their Decision over its commitment signed (``signed``
    replaces fields of the signed message, to forge a mismatch)."""
    stored = _text(client, headers, reasoning)
    message = {
        "recordId": rid,
        "overturn": overturn,
        "reason": bytes.fromhex(stored["commitment"][2:]),
        "nonce": _nonce(w, arbiter),
        "deadline": NO_DEADLINE,
    }
    return {
        "overturn": overturn,
        "reason": stored["commitment"],
        "reasoning_id": stored["id"],
        "nonce": message["nonce"],
        "deadline": NO_DEADLINE,
        "signature": _signature(arbiter.key, "Decision", message | (signed or {}), w),
    }


@dataclass
class Appealed:
    rid: bytes
    path: str
    resident: Actor
    auth: dict[str, str]  # the resident's
    arbiter: dict[str, str]


@pytest.fixture
def appealed(client: TestClient, services: Services, gateway_world: World) -> Appealed:
    """Resident 0 earned 50 points, lost 40 to a relayed littering report (superior reported,
    superior2 and the panel confirmed), and appealed it with a statement; the index synced."""
    w = gateway_world
    a = w.residents[0]
    credit(w, a, 1, 5)
    _, rid = relay_violation(w, a, 2)
    auth = sign_in(client, a.key)
    filed = client.post("/v1/appeals", json=appeal_body(client, w, a, rid, auth), headers=auth)
    assert filed.status_code == 201, filed.text
    assert filed.json()["statement_stored"] is True
    _sync(services)
    return Appealed(rid, f"/v1/appeals/0x{rid.hex()}", a, auth, sign_in(client, w.arbiter.key))


# ------------------------------------------------------------------------------- the loop
def test_the_arbiter_sees_the_report_the_confirmations_and_the_statement(
    client: TestClient, appealed: Appealed, gateway_world: World
) -> None:
    w = gateway_world
    inbox = client.get("/v1/appeals?status=open", headers=appealed.arbiter)
    assert inbox.status_code == 200, inbox.text
    (item,) = inbox.json()["appeals"]
    assert item["record_id"] == "0x" + appealed.rid.hex()
    assert item["resident"] == appealed.resident.address.lower()
    assert item["status"] == "open"
    report = item["report"]
    assert report["rule_title"]["en"] and report["rule_title"]["zh"]
    assert (report["units"], report["points"], report["deducted"]) == (2, 40, 40)
    assert report["reporter"] == w.superior.address.lower()
    assert report["reporter_kinds"] == ["superior"]
    assert report["occurred_at"] and report["occurred_at"] < w.now()
    assert item["confirmations_by_kind"] == {"superior": 1, "public": 1}
    assert {c["evaluator"] for c in item["confirmations"]} == {
        w.superior2.address,
        w.panel.address,
    }
    statement = item["appeal"]["statement"]
    assert statement["text"] == STATEMENT
    assert statement["commitment"] == item["appeal"]["statement_hash"]
    assert item["appeal_deadline"] > item["appeal"]["appealed_at"]
    assert item["decision"] is None


def test_reading_an_appeal_text_is_in_the_evidence_access_log(
    client: TestClient, services: Services, appealed: Appealed, gateway_world: World
) -> None:
    """The arbiter reading the statement in the inbox is logged once per hour, however often
    the inbox refreshes; the resident reading their own statement is not (it is theirs)."""
    w = gateway_world
    for _ in range(3):  # the inbox re-reads every few seconds
        assert client.get("/v1/appeals", headers=appealed.arbiter).status_code == 200
    assert client.get(appealed.path, headers=appealed.auth).status_code == 200
    with services.engine.connect() as conn:
        rows = conn.execute(select(evidence_access)).mappings().all()
    assert [(r["reader"], r["capacity"], r["purpose"], r["record_id"]) for r in rows] == [
        (w.arbiter.address.lower(), "ARBITER", "decide appeal", "0x" + appealed.rid.hex())
    ]
    assert rows[0]["owner"] == appealed.resident.address.lower()


@pytest.mark.parametrize(
    "overturn", [pytest.param(True, id="overturn"), pytest.param(False, id="uphold")]
)
def test_the_arbiter_decides_and_the_resident_reads_the_reasoning(
    client: TestClient,
    services: Services,
    appealed: Appealed,
    gateway_world: World,
    overturn: bool,
) -> None:
    w = gateway_world
    body = decision_body(client, w, w.arbiter, appealed.rid, overturn, appealed.arbiter)
    decided = client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter)
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == ("overturned" if overturn else "upheld")
    assert w.credit(appealed.resident) == (50 if overturn else 10)
    _sync(services)
    outcome = client.get(appealed.path, headers=appealed.auth)
    assert outcome.status_code == 200, outcome.text
    view = outcome.json()
    assert view["status"] == ("overturned" if overturn else "upheld")
    decision = view["decision"]
    assert decision["arbiter"] == w.arbiter.address.lower()
    assert decision["restored"] == (40 if overturn else 0)
    assert decision["reasoning"]["text"] == REASONING
    assert decision["reasoning"]["commitment"] == decision["reason_hash"]
    assert view["appeal"]["statement"]["text"] == STATEMENT
    # decided: out of the inbox, in the decided list
    assert client.get("/v1/appeals", headers=appealed.arbiter).json()["appeals"] == []
    done = client.get("/v1/appeals?status=decided", headers=appealed.arbiter).json()
    assert [a["record_id"] for a in done["appeals"]] == ["0x" + appealed.rid.hex()]


def test_a_directly_reported_violation_shows_its_event_confirmations(
    client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[1]
    credit(w, a, 1, 5)
    rid = report_directly(w, w.expert, a, 1)
    w.superior2.send(w.ledger.functions.confirm(rid, SUPERIOR))
    w.panel.send(w.ledger.functions.confirm(rid, PUBLIC))
    auth = sign_in(client, a.key)
    filed = client.post("/v1/appeals", json=appeal_body(client, w, a, rid, auth), headers=auth)
    assert filed.status_code == 201, filed.text
    _sync(services)
    view = client.get(f"/v1/appeals/0x{rid.hex()}", headers=auth).json()
    assert view["report"]["reporter"] == w.expert.address.lower()
    assert view["report"]["reporter_kinds"] == ["expert"]
    assert view["confirmations_by_kind"] == {"superior": 1, "public": 1}


def test_an_appeal_keeps_its_optional_evidence_text(
    client: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    a = w.residents[2]
    credit(w, a, 1, 5)
    _, rid = relay_violation(w, a, 1)
    auth = sign_in(client, a.key)
    extra = _text(client, auth, "Badge log: 08:02 in, 17:40 out, district 4.")
    body = appeal_body(client, w, a, rid, auth) | {"evidence_id": extra["id"]}
    assert client.post("/v1/appeals", json=body, headers=auth).status_code == 201
    _sync(services)
    view = client.get(f"/v1/appeals/0x{rid.hex()}", headers=auth).json()
    assert view["appeal"]["evidence"]["text"].startswith("Badge log")


def test_an_appeal_with_a_bare_hash_is_still_relayed(
    client: TestClient, services: Services, gateway_world: World
) -> None:
    """Backward compatible: a statement hash the gateway holds no text for."""
    w = gateway_world
    a = w.residents[3]
    credit(w, a, 1, 5)
    _, rid = relay_violation(w, a, 1)
    auth = sign_in(client, a.key)
    message = {"recordId": rid, "statement": b"\x11" * 32, "nonce": _nonce(w, a), "deadline": 9}
    message["deadline"] = NO_DEADLINE
    body = {
        "record_id": "0x" + rid.hex(),
        "statement": "0x" + "11" * 32,
        "nonce": message["nonce"],
        "deadline": NO_DEADLINE,
        "signature": _signature(a.key, "Appeal", message, w),
    }
    filed = client.post("/v1/appeals", json=body, headers=auth)
    assert filed.status_code == 201, filed.text
    assert filed.json()["statement_stored"] is False
    _sync(services)
    assert (
        client.get(f"/v1/appeals/0x{rid.hex()}", headers=auth).json()["appeal"]["statement"] is None
    )


# ------------------------------------------------------------------------------- refusals
def test_a_decision_on_a_violation_not_appealed_is_409(
    client: TestClient, appealed: Appealed, gateway_world: World
) -> None:
    w = gateway_world
    _, other = relay_violation(w, w.residents[4], 1)
    body = decision_body(client, w, w.arbiter, other, True, appealed.arbiter)
    refused = client.post(
        f"/v1/appeals/0x{other.hex()}/decision", json=body, headers=appealed.arbiter
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_appealed")
    body = decision_body(client, w, w.arbiter, appealed.rid, True, appealed.arbiter)
    assert (
        client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter).status_code
        == 201
    )
    body = decision_body(client, w, w.arbiter, appealed.rid, False, appealed.arbiter)
    again = client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_appealed")
    unknown = client.post(
        f"/v1/appeals/0x{'42' * 32}/decision", json=body, headers=appealed.arbiter
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"overturn": False}, id="opposite-decision"),
        pytest.param({"recordId": b"\x42" * 32}, id="another-record"),
        pytest.param({"reason": b"\x33" * 32}, id="another-reason"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_a_signature_over_another_decision_is_422(
    client: TestClient, appealed: Appealed, gateway_world: World, forged: dict[str, Any]
) -> None:
    w = gateway_world
    body = decision_body(client, w, w.arbiter, appealed.rid, True, appealed.arbiter, signed=forged)
    refused = client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_signature")
    assert w.credit(appealed.resident) == 10


def test_a_reasoning_that_is_not_the_signed_one_is_422(
    client: TestClient, appealed: Appealed, gateway_world: World
) -> None:
    w = gateway_world
    body = decision_body(client, w, w.arbiter, appealed.rid, True, appealed.arbiter)
    other = _text(client, appealed.arbiter, "Another text")
    body["reasoning_id"] = other["id"]
    refused = client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "reasoning_mismatch")
    # someone else's text
    resident_text = _text(client, appealed.auth, "mine")
    body = decision_body(client, w, w.arbiter, appealed.rid, True, appealed.arbiter)
    body["reasoning_id"] = resident_text["id"]
    refused = client.post(f"{appealed.path}/decision", json=body, headers=appealed.arbiter)
    assert refused.json()["error"]["code"] == "reasoning_mismatch"
    too_long = decision_body(
        client, w, w.arbiter, appealed.rid, True, appealed.arbiter, reasoning="x" * 4001
    )
    refused = client.post(f"{appealed.path}/decision", json=too_long, headers=appealed.arbiter)
    assert refused.json()["error"]["code"] == "reasoning_mismatch"


def test_an_arbiter_cannot_decide_their_own_appeal(
    client: TestClient, appealed: Appealed, gateway_world: World
) -> None:
    w = gateway_world
    a = appealed.resident
    w.operator.send(w.ledger.functions.grantRole(role_id("ARBITER_ROLE"), a.address))
    client.app.state.role_cache = None  # type: ignore[attr-defined]
    body = decision_body(client, w, a, appealed.rid, True, appealed.auth)
    refused = client.post(f"{appealed.path}/decision", json=body, headers=appealed.auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "own_appeal")


# --------------------------------------------------------------------- every role x route
ROLES = ["anonymous", "resident", "peer", "superior", "panel", "expert", "arbiter", "minter"]


def _headers(client: TestClient, w: World, who: str, appealed: Appealed) -> dict[str, str]:
    actor = {"resident": appealed.resident, "peer": w.residents[1]}.get(who)
    if who == "anonymous":
        return {}
    return sign_in(client, (actor or getattr(w, who)).key)


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, "unauthorized"),
        *((r, 403, "not_arbiter") for r in ROLES[1:6]),
        ("minter", 403, "not_arbiter"),
        ("arbiter", 200, None),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_read_the_inbox(
    client: TestClient, appealed: Appealed, gateway_world: World, who: str, status: int, code: str
) -> None:
    got = client.get("/v1/appeals", headers=_headers(client, gateway_world, who, appealed))
    assert got.status_code == status, got.text
    if code:
        assert got.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("resident", 200),
        ("peer", 403),
        ("superior", 403),
        ("panel", 403),
        ("expert", 403),
        ("arbiter", 200),
        ("minter", 403),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_read_an_appeal(
    client: TestClient, appealed: Appealed, gateway_world: World, who: str, status: int
) -> None:
    got = client.get(appealed.path, headers=_headers(client, gateway_world, who, appealed))
    assert got.status_code == status, got.text
    if status == 200:
        assert got.json()["appeal"]["statement"]["text"] == STATEMENT


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, "unauthorized"),
        ("resident", 403, "not_arbiter"),
        ("peer", 403, "not_arbiter"),
        ("superior", 403, "not_arbiter"),
        ("panel", 403, "not_arbiter"),
        ("expert", 403, "not_arbiter"),
        ("arbiter", 201, None),
        ("minter", 403, "not_arbiter"),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_decide(
    client: TestClient, appealed: Appealed, gateway_world: World, who: str, status: int, code: str
) -> None:
    w = gateway_world
    body = decision_body(client, w, w.arbiter, appealed.rid, True, appealed.arbiter)
    got = client.post(
        f"{appealed.path}/decision", json=body, headers=_headers(client, w, who, appealed)
    )
    assert got.status_code == status, got.text
    if code:
        assert got.json()["error"]["code"] == code
    assert w.credit(appealed.resident) == (50 if status == 201 else 10)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("resident", 201),
        ("peer", 403),
        ("superior", 403),
        ("panel", 403),
        ("expert", 403),
        ("arbiter", 403),
        ("minter", 403),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_who_may_appeal(client: TestClient, gateway_world: World, who: str, status: int) -> None:
    w = gateway_world
    a = w.residents[0]
    credit(w, a, 1, 5)
    _, rid = relay_violation(w, a, 1)
    auth = sign_in(client, a.key)
    body = appeal_body(client, w, a, rid, auth)
    fake = Appealed(rid, "", a, auth, {})
    got = client.post("/v1/appeals", json=body, headers=_headers(client, w, who, fake))
    assert got.status_code == status, got.text


def test_an_erased_statement_is_gone_from_the_appeal(
    client: TestClient, appealed: Appealed
) -> None:
    view = client.get(appealed.path, headers=appealed.arbiter).json()
    statement = view["appeal"]["statement"]
    erased = client.delete(f"/v1/evidence/{statement['evidence_id']}", headers=appealed.auth)
    assert erased.status_code == 200, erased.text
    after = client.get(appealed.path, headers=appealed.arbiter).json()["appeal"]
    assert after["statement"]["erased"] is True
    assert after["statement"]["text"] is None
    assert after["statement_hash"] == statement["commitment"]  # on chain, now linked to nothing
