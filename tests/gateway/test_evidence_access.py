"""Evidence for the evaluators entitled to it, every read logged, the log for auditors and owners.

Real HTTP through the ASGI app over an eth-tester chain: a resident uploads evidence and claims
with its commitment; each role then asks for the claim's details, its evidence, its share link,
the evidence by id and the access log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from credit.chain.relay_reads import RuleInForce
from credit.cli.evidence_cmd import render
from credit.gateway.deps import Account
from credit.gateway.evidence_access import (
    EvidenceSubject,
    access_rows,
    can_read_evidence,
    evaluator_kinds,
)
from credit.gateway.services import Services
from credit.settings import Settings
from credit.store.evidence_tables import evidence_access
from tests.support.evidence_helpers import (
    claim_with_evidence,
    decode_qr,
    headers_by_role,
    svg_modules,
    upload,
)
from tests.support.relay_helpers import wire_relay
from tests.support.world import World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


TEXT = "Helped at the Saturday park clean-up, 9:00-12:00, with 14 neighbours."
ROLES = [
    "anonymous",
    "claimant",
    "peer",
    "superior",
    "expert",
    "panel",
    "arbiter",
    "auditor",
    "unrelated",
]
# what each role's reader capacity is for a Volunteering claim (category 1: every kind counts)
EVALUATORS = {"peer": "PEER", "superior": "SUPERIOR", "expert": "EXPERT", "panel": "PUBLIC"}


@pytest.fixture
def gw_settings(gw_settings: Settings, gateway_world: World) -> Settings:
    """The outsider (no role on chain) is the city's auditor."""
    return gw_settings.model_copy(
        update={"auditor_addresses": [gateway_world.outsider.address.lower()]}
    )


@pytest.fixture
def city(
    gateway_world: World, services: Services, gw_settings: Settings
) -> Iterator[dict[str, Any]]:
    """A claim with evidence by resident0; signed-in headers of every role."""
    services.settings = gw_settings
    wire_relay(services)
    world = gateway_world
    with TestClient(_app(services)) as client:
        actors = {
            "claimant": world.residents[0],
            "peer": world.residents[1],
            "superior": world.superior,
            "expert": world.expert,
            "panel": world.panel,
            "arbiter": world.arbiter,
            "auditor": world.outsider,
            "unrelated": world.registrar,  # signed in, a role, but no kind that evaluates claims
        }
        headers = headers_by_role(client, actors)
        stored = upload(client, headers["claimant"], TEXT)
        body, record_id = claim_with_evidence(world, actors["claimant"], stored["commitment"])
        got = client.post("/v1/claims", json=body)
        assert got.status_code == 202, got.text
        yield {
            "client": client,
            "headers": headers,
            "actors": actors,
            "evidence": stored,
            "record_id": record_id,
            "services": services,
        }


def _app(services: Services) -> Any:
    from credit.gateway.app import create_app

    return create_app(services)


def log_count(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(evidence_access)).scalar_one())


def all_rows(services: Services) -> list[dict[str, Any]]:
    rows, _ = access_rows(services.engine, limit=None)
    return rows


# ------------------------------------------------------------------ claim details


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_claim_details_by_role(city: dict[str, Any], role: str) -> None:
    client, record_id = city["client"], city["record_id"]
    got = client.get(f"/v1/claims/{record_id}/details", headers=city["headers"][role])
    if role == "anonymous":
        assert got.status_code == 401
    elif role == "claimant":
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["viewer"] == "claimant" and body["may_confirm_as"] == []
        assert body["units"] == 2 and body["category"] == 1 and body["has_evidence"]
    elif role in EVALUATORS:
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["viewer"] == "evaluator"
        assert EVALUATORS[role] in body["may_confirm_as"]
        assert body["resident"] == city["actors"]["claimant"].address
    else:  # arbiter, auditor, unrelated: as if the claim did not exist
        assert got.status_code == 404
        never = client.get("/v1/claims/0x" + "12" * 32 + "/details", headers=city["headers"][role])
        assert never.status_code == 404
        assert got.json()["error"]["message"].replace(record_id, "X") == never.json()["error"][
            "message"
        ].replace("0x" + "12" * 32, "X")
    assert log_count(city["services"]) == 0, "details read no evidence"


# ------------------------------------------------------------------ claim evidence


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_claim_evidence_by_role_logs_each_read_once(city: dict[str, Any], role: str) -> None:
    client, record_id, services = city["client"], city["record_id"], city["services"]
    got = client.get(f"/v1/claims/{record_id}/evidence", headers=city["headers"][role])
    if role == "anonymous":
        assert got.status_code == 401
    elif role == "claimant" or role in EVALUATORS:
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["text"] == TEXT and body["content_base64"] is None
        assert body["commitment"] == city["evidence"]["commitment"]
        capacity = "owner" if role == "claimant" else EVALUATORS[role]
        assert body["read_as"] == capacity
        [row] = all_rows(services)
        assert row["reader"] == city["actors"][role].address.lower()
        assert row["capacity"] == capacity and row["what"] == "content"
        assert row["record_id"] == record_id and row["evidence_id"] == city["evidence"]["id"]
        assert row["purpose"] == "confirm"
        assert row["owner"] == city["actors"]["claimant"].address.lower()
        assert TEXT not in repr(row), "the log holds no content"
        # a second read is a second row: exactly one per read
        client.get(f"/v1/claims/{record_id}/evidence", headers=city["headers"][role])
        assert log_count(services) == 2
        return
    else:
        assert got.status_code == 404
    assert log_count(services) == 0


def test_claim_without_evidence_answers_404_to_an_evaluator(
    city: dict[str, Any], gateway_world: World
) -> None:
    from tests.support.relay_helpers import claim_body

    client = city["client"]
    body, record_id = claim_body(gateway_world, gateway_world.residents[2])
    assert client.post("/v1/claims", json=body).status_code == 202
    got = client.get(f"/v1/claims/{record_id}/evidence", headers=city["headers"]["superior"])
    assert got.status_code == 404
    assert "no evidence" in got.json()["error"]["message"]
    assert log_count(city["services"]) == 0


def test_erasure_keeps_the_log_and_answers_410(city: dict[str, Any]) -> None:
    client, record_id, services = city["client"], city["record_id"], city["services"]
    headers = city["headers"]
    assert client.get(f"/v1/claims/{record_id}/evidence", headers=headers["superior"]).is_success
    before = all_rows(services)
    assert len(before) == 1
    erased = client.delete(f"/v1/evidence/{city['evidence']['id']}", headers=headers["claimant"])
    assert erased.status_code == 200 and erased.json()["erased"] is True
    for role in ("superior", "peer", "claimant"):
        gone = client.get(f"/v1/claims/{record_id}/evidence", headers=headers[role])
        assert gone.status_code == 410, gone.text
        assert gone.json()["error"]["code"] == "erased"
    assert all_rows(services) == before, "erasure keeps the access log; a 410 logs nothing"
    mine = client.get("/v1/evidence/access-log", headers=headers["claimant"]).json()
    assert [e["reader"] for e in mine["entries"]] == [city["actors"]["superior"].address]


# ------------------------------------------------------------------ share link and QR


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_share_link_by_role(city: dict[str, Any], role: str, gw_settings: Settings) -> None:
    client, record_id = city["client"], city["record_id"]
    got = client.get(f"/v1/claims/{record_id}/share", headers=city["headers"][role])
    if role == "anonymous":
        assert got.status_code == 401
        return
    if role != "claimant":
        assert got.status_code == 404
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["link"] == f"{gw_settings.siwe_uri}/#/confirm/{record_id}"
    assert body["qr_svg"].startswith("<svg")
    assert decode_qr(svg_modules(body["qr_svg"])) == body["link"]


# ------------------------------------------------------------------ evidence by id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", ["metadata", "content"])
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_evidence_by_id_by_role(city: dict[str, Any], role: str, what: str) -> None:
    client, services = city["client"], city["services"]
    path = f"/v1/evidence/{city['evidence']['id']}" + ("/content" if what == "content" else "")
    got = client.get(path, headers=city["headers"][role])
    expected = {
        "anonymous": 401,
        "auditor": 403,  # the auditor reads the log, never the evidence
        "unrelated": 403,
    }.get(role, 200)
    assert got.status_code == expected, got.text
    rows = all_rows(services)
    if expected != 200:
        assert rows == []
        return
    if what == "content":
        assert got.text == TEXT
    [row] = rows
    capacity = {"claimant": "owner", "arbiter": "ARBITER"}.get(role) or EVALUATORS[role]
    assert (row["capacity"], row["what"]) == (capacity, what)
    assert row["purpose"] == {"claimant": "own", "arbiter": "decide appeal"}.get(role, "confirm")
    assert row["record_id"] == (None if role in ("claimant", "arbiter") else city["record_id"])


# ------------------------------------------------------------------ the access log


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_access_log_by_role(city: dict[str, Any], role: str) -> None:
    client, record_id, headers = city["client"], city["record_id"], city["headers"]
    for reader in ("superior", "peer", "claimant"):
        assert client.get(f"/v1/claims/{record_id}/evidence", headers=headers[reader]).is_success
    got = client.get("/v1/evidence/access-log", headers=headers[role])
    if role == "anonymous":
        assert got.status_code == 401
        return
    if role in ("unrelated",):
        assert got.status_code == 403
        return
    assert got.status_code == 200, got.text
    body = got.json()
    if role == "auditor":
        assert body["scope"] == "all"
        assert [e["capacity"] for e in body["entries"]] == ["owner", "PEER", "SUPERIOR"]
    elif role == "claimant":
        assert body["scope"] == "own"
        assert [e["capacity"] for e in body["entries"]] == ["owner", "PEER", "SUPERIOR"]
        assert all(e["record_id"] == record_id for e in body["entries"])
    else:  # evaluators and the arbiter keep no evidence here: their own part is empty
        assert body == {"scope": "own", "entries": [], "next_before": None}
    assert TEXT not in got.text


def test_access_log_pages_and_filters(city: dict[str, Any]) -> None:
    client, record_id, headers = city["client"], city["record_id"], city["headers"]
    for _ in range(5):
        client.get(f"/v1/claims/{record_id}/evidence", headers=headers["expert"])
    first = client.get("/v1/evidence/access-log?limit=2", headers=headers["auditor"]).json()
    assert len(first["entries"]) == 2 and first["next_before"] is not None
    seen = [e["id"] for e in first["entries"]]
    cursor = first["next_before"]
    while cursor is not None:
        page = client.get(
            f"/v1/evidence/access-log?limit=2&before={cursor}", headers=headers["auditor"]
        ).json()
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_before"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    expert = city["actors"]["expert"].address
    only = client.get(f"/v1/evidence/access-log?reader={expert}", headers=headers["auditor"])
    assert len(only.json()["entries"]) == 5
    # a resident's filters cannot widen their view
    other = client.get(f"/v1/evidence/access-log?owner={expert}", headers=headers["peer"]).json()
    assert other["entries"] == []


def test_operator_export_as_json_and_csv(city: dict[str, Any]) -> None:
    client, record_id, headers = city["client"], city["record_id"], city["headers"]
    client.get(f"/v1/claims/{record_id}/evidence", headers=headers["superior"])
    rows = all_rows(city["services"])
    csv_text = render(rows, "csv")
    header, line = csv_text.splitlines()
    assert header == "id,at,evidence_id,owner,reader,capacity,record_id,purpose,what"
    assert "SUPERIOR" in line and record_id in line and TEXT not in csv_text
    assert '"capacity": "SUPERIOR"' in render(rows, "json")


# ------------------------------------------------------------------ the rule, without a chain


def _rule(weights: dict[int, int]) -> RuleInForce:
    packed = sum(w << (4 * k) for k, w in weights.items())
    return RuleInForce(7, 10, 5, 0, 1, 1, packed, 0, False, version=1)


SUBJECT = EvidenceSubject("claim", "0x" + "01" * 32, "0x" + "aa" * 20, 7, "0x" + "02" * 32)


@pytest.mark.parametrize(
    ("roles", "weights", "expected"),
    [
        pytest.param({"EXPERT"}, {3: 2}, "EXPERT", id="expert-where-experts-count"),
        pytest.param({"EXPERT"}, {0: 2, 1: 1}, None, id="expert-where-they-do-not"),
        pytest.param({"RESIDENT"}, {1: 1}, "PEER", id="peer"),
        pytest.param({"RESIDENT"}, {0: 2}, None, id="peer-where-peers-do-not-count"),
        pytest.param({"ARBITER"}, {0: 2, 1: 1, 2: 1, 3: 1}, None, id="arbiter-on-a-claim"),
        pytest.param({"SUPERIOR", "RESIDENT"}, {0: 2, 1: 1}, "SUPERIOR", id="first-kind"),
    ],
)
def test_can_read_evidence_follows_the_rule(
    roles: set[str], weights: dict[int, int], expected: str | None
) -> None:
    account = Account("0x" + "bb" * 20, frozenset(roles), "t")
    assert can_read_evidence(account, SUBJECT, _rule(weights)) == expected


def test_the_party_never_reads_as_evaluator_and_arbiters_read_reports() -> None:
    party = Account("0x" + "aa" * 20, frozenset({"SUPERIOR", "RESIDENT"}), "t")
    assert evaluator_kinds(party, SUBJECT, _rule({0: 2, 1: 1})) == []
    arbiter = Account("0x" + "cc" * 20, frozenset({"ARBITER"}), "t")
    report = EvidenceSubject("report", *list(SUBJECT.__dict__.values())[1:])
    appeal = EvidenceSubject("appeal", *list(SUBJECT.__dict__.values())[1:])
    assert can_read_evidence(arbiter, report, _rule({0: 2})) == "ARBITER"
    assert can_read_evidence(arbiter, appeal, None) == "ARBITER"
    superior = Account("0x" + "dd" * 20, frozenset({"SUPERIOR"}), "t")
    assert can_read_evidence(superior, appeal, _rule({0: 2})) is None


def test_operator_cli_exports_the_database(
    city: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """``credit evidence access-log`` reads the gateway's database (CREDIT_DATABASE_URL)."""
    import json

    from credit.cli import main
    from credit.settings import get_settings

    client, record_id, headers = city["client"], city["record_id"], city["headers"]
    client.get(f"/v1/claims/{record_id}/evidence", headers=headers["expert"])
    monkeypatch.setenv("CREDIT_DATABASE_URL", city["services"].settings.database)
    get_settings.cache_clear()
    out = tmp_path / "log.json"
    try:
        assert main(["evidence", "access-log", "--format", "json", "--out", str(out)]) == 0
    finally:
        get_settings.cache_clear()
    [row] = json.loads(out.read_text())
    assert row["capacity"] == "EXPERT" and row["record_id"] == record_id
    assert row["reader"] == city["actors"]["expert"].address.lower()
