"""Nobody can fill the evidence disk: uploads need a registration and are bounded per account and
in total, and a refusal stores nothing.

Issue 14, finding 12: sign-in needs no registration and uploads had no quota, so any key could
sign in and upload 5 MiB after 5 MiB. Only registered residents and the officials who file or
decide records (superiors, panel members, experts, arbiters) may upload now; every account keeps
at most ``evidence_quota_items`` items and ``evidence_quota_bytes`` bytes, everyone together at
most ``evidence_budget_bytes``; erasure frees quota.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from credit.chain.roles import RoleCache
from credit.gateway.app import create_app
from credit.gateway.errors import ApiError
from credit.gateway.evidence import EvidenceStore
from credit.gateway.services import Services
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.evidence_tables import evidence, evidence_usage
from credit.store.schema import create_schema
from tests.support.auth_helpers import sign_in
from tests.support.world import World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


ITEM = 2048  # max_evidence_bytes
QUOTA_ITEMS, QUOTA_BYTES, BUDGET = 3, 2 * ITEM, 3 * ITEM


@pytest.fixture
def gw_settings(tmp_path: Path, database_url: str) -> Settings:
    """The gateway fixtures' settings with small limits (overrides
    tests/support/gateway_fixtures.py)."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        siwe_domain="testserver",
        siwe_uri="http://testserver",
        batch_window_seconds=0.05,
        max_evidence_bytes=ITEM,
        evidence_quota_items=QUOTA_ITEMS,
        evidence_quota_bytes=QUOTA_BYTES,
        evidence_budget_bytes=BUDGET,
    )


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    app = create_app(services)
    app.state.role_cache = RoleCache(ttl_seconds=0)  # a role change shows on the next request
    with TestClient(app) as client:
        yield client


def upload(api: TestClient, headers: dict[str, str], size: int, fill: bytes = b"e") -> Any:
    return api.post(
        "/v1/evidence", content=fill * size, headers={**headers, "Content-Type": "text/plain"}
    )


def assert_refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def stored(services: Services) -> tuple[set[str], set[str]]:
    """(live evidence rows, content files): equal unless something was half written."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(evidence.c.id).where(evidence.c.erased_at.is_(None))).scalars()
        live = {f"{r}.bin" for r in rows}
    directory = services.settings.evidence_path
    files = {p.name for p in directory.iterdir()} if directory.exists() else set()
    return live, files


def assert_nothing_half_written(services: Services, live_items: int) -> None:
    live, files = stored(services)
    assert live == files and len(live) == live_items, (live, files)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        pytest.param("outsider", False, id="no-role"),
        pytest.param("registrar", False, id="registrar"),
        pytest.param("minter", False, id="minter"),
        pytest.param("resident0", True, id="resident"),
        pytest.param("expert", True, id="expert"),
        pytest.param("superior", True, id="superior"),
        pytest.param("arbiter", True, id="arbiter"),
    ],
)
def test_only_residents_and_officials_upload(
    api: TestClient, services: Services, gateway_world: World, actor: str, allowed: bool
) -> None:
    headers = sign_in(api, getattr(gateway_world, actor).key)
    response = upload(api, headers, 100)
    if allowed:
        assert response.status_code == 201, response.text
    else:
        error = assert_refused(response, 403, "forbidden")
        assert "RESIDENT" in error["details"]["missing_role"]
    assert_nothing_half_written(services, 1 if allowed else 0)


def test_the_reproduction_five_full_uploads_from_a_key_with_no_role(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    headers = sign_in(api, gateway_world.outsider.key)
    for _ in range(5):
        assert_refused(upload(api, headers, ITEM), 403, "forbidden")
    assert_nothing_half_written(services, 0)


def test_a_deregistered_resident_may_still_read_and_erase_but_not_upload(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    resident = w.residents[1]
    headers = sign_in(api, resident.key)
    kept = upload(api, headers, 10)
    assert kept.status_code == 201, kept.text
    w.registrar.send(w.ledger.functions.deregisterResident(resident.address))
    assert_refused(upload(api, headers, 10), 403, "forbidden")
    ident = kept.json()["id"]
    assert api.get(f"/v1/evidence/{ident}/content", headers=headers).status_code == 200
    assert api.delete(f"/v1/evidence/{ident}", headers=headers).json()["erased"] is True


@pytest.mark.parametrize(
    ("sizes", "limit"),
    [
        pytest.param([10] * QUOTA_ITEMS, "items", id="items"),
        pytest.param([ITEM] * (QUOTA_BYTES // ITEM), "bytes", id="bytes"),
    ],
)
def test_an_account_over_its_quota_is_refused_until_it_erases(
    api: TestClient, services: Services, gateway_world: World, sizes: list[int], limit: str
) -> None:
    headers = sign_in(api, gateway_world.residents[0].key)
    ids = []
    for size in sizes:
        response = upload(api, headers, size)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    error = assert_refused(upload(api, headers, 10), 413, "evidence_quota_exceeded")
    assert error["details"]["limit"] == limit and "erase" in error["message"]
    assert_nothing_half_written(services, len(sizes))
    # another resident is not affected by this one's quota
    other = sign_in(api, gateway_world.residents[1].key)
    assert upload(api, other, 10).status_code == 201
    # erasure frees the quota
    assert api.delete(f"/v1/evidence/{ids[0]}", headers=headers).status_code == 200
    assert upload(api, headers, 10).status_code == 201
    assert_nothing_half_written(services, len(sizes) + 1)


def test_a_full_budget_refuses_everyone_with_its_own_code_until_someone_erases(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    residents = gateway_world.residents
    headers = [sign_in(api, r.key) for r in residents[:4]]
    ids = []
    for h in headers[:3]:  # each within their quota, together the whole budget
        response = upload(api, h, ITEM)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    error = assert_refused(upload(api, headers[3], 10), 413, "evidence_budget_exhausted")
    assert error["details"]["limit"] == "budget"
    assert_nothing_half_written(services, 3)
    assert api.delete(f"/v1/evidence/{ids[1]}", headers=headers[1]).status_code == 200
    assert upload(api, headers[3], 10).status_code == 201


def test_concurrent_uploads_never_pass_the_quota(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    headers = sign_in(api, gateway_world.residents[2].key)
    api.get("/v1/auth/me", headers=headers)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(
            r.status_code for r in pool.map(lambda i: upload(api, headers, 10), range(8))
        )
    assert codes == [201] * QUOTA_ITEMS + [413] * (8 - QUOTA_ITEMS)
    assert_nothing_half_written(services, QUOTA_ITEMS)


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param({"evidence_quota_bytes": ITEM - 1}, id="quota-below-one-item"),
        pytest.param({"evidence_budget_bytes": QUOTA_BYTES - 1}, id="budget-below-a-quota"),
    ],
)
def test_limits_that_refuse_every_upload_are_refused_at_startup(
    tmp_path: Path, limits: dict[str, int]
) -> None:
    with pytest.raises(ValueError, match="evidence"):
        Settings(
            data_dir=tmp_path,
            **{
                "max_evidence_bytes": ITEM,
                "evidence_quota_bytes": QUOTA_BYTES,
                "evidence_budget_bytes": BUDGET,
                **limits,
            },
        )


def test_a_database_from_before_the_budget_is_counted_at_start(
    tmp_path: Path, database_url: str
) -> None:
    """Evidence uploaded before the usage row existed counts against the budget once the
    gateway starts (create_schema recounts it; a drifted count is repaired the same way)."""
    engine = make_engine(database_url)
    create_schema(engine)
    old = EvidenceStore(engine, tmp_path / "evidence", ITEM)
    for i in range(3):
        old.put(f"0x{i:040x}", b"x" * ITEM, "text/plain")
    with engine.begin() as conn:
        conn.execute(delete(evidence_usage))  # as in a database made before it existed
    create_schema(engine)
    store = EvidenceStore(engine, tmp_path / "evidence", ITEM, budget_bytes=BUDGET)
    with pytest.raises(ApiError) as exc:
        store.put("0x" + "ff" * 20, b"x", "text/plain")
    assert exc.value.code == "evidence_budget_exhausted"
    with engine.begin() as conn:
        conn.execute(update(evidence_usage).values(live_items=0, live_bytes=0))  # drifted
    create_schema(engine)
    with pytest.raises(ApiError):
        store.put("0x" + "ff" * 20, b"x", "text/plain")
