"""What a caller may do follows its on-chain roles: role reads, role checks, own-data checks."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from credit.chain import role_id
from credit.chain.roles import RoleCache, read_roles, roles_of
from credit.gateway.deps import Account, CurrentAccount, ensure_self_or_role, require_role
from credit.gateway.services import Services
from tests.support.auth_helpers import sign_in
from tests.support.world import World

ME = "/v1/auth/me"

probe = APIRouter()


@probe.get("/probe/mint")
def _mint(account: Annotated[Account, Depends(require_role("MINTER"))]) -> dict[str, str]:
    return {"address": account.address}


@probe.get("/probe/claims/{address}")
def _claims(address: str, account: CurrentAccount) -> dict[str, str]:
    ensure_self_or_role(account, address, "ARBITER")
    return {"address": address}


@pytest.fixture
def probed(client: TestClient) -> TestClient:
    """The app with two probe routes guarded by require_role / ensure_self_or_role."""
    client.app.include_router(probe, prefix="/v1")  # type: ignore[attr-defined]
    return client


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("actor", "roles"),
    [
        pytest.param("operator", {"DEFAULT_ADMIN", "GOVERNOR"}, id="operator"),
        pytest.param("registrar", {"REGISTRAR"}, id="registrar"),
        pytest.param("superior", {"SUPERIOR"}, id="superior"),
        pytest.param("panel", {"PUBLIC_PANEL"}, id="panel"),
        pytest.param("expert", {"EXPERT"}, id="expert"),
        pytest.param("arbiter", {"ARBITER"}, id="arbiter"),
        pytest.param("minter", {"MINTER"}, id="minter"),
        pytest.param("resident0", {"RESIDENT"}, id="resident"),
        pytest.param("outsider", set(), id="outsider"),
    ],
)
def test_roles_are_read_from_the_chain(
    services: Services, gateway_world: World, actor: str, roles: set[str]
) -> None:
    address = getattr(gateway_world, actor).address
    assert read_roles(services.system, address) == roles
    assert roles_of(services.system, address.lower(), RoleCache()) == roles


def test_me_follows_grants_and_revocations_after_the_cache_ttl(
    client: TestClient, gateway_world: World
) -> None:
    clock = Clock()
    client.app.state.role_cache = RoleCache(ttl_seconds=5.0, clock=clock)  # type: ignore[attr-defined]
    outsider = gateway_world.outsider
    headers = sign_in(client, outsider.key)
    assert client.get(ME, headers=headers).json()["roles"] == []
    superior = role_id("SUPERIOR_ROLE")
    gateway_world.operator.send(
        gateway_world.ledger.functions.grantRole(superior, outsider.address)
    )
    clock.t += 4.9
    assert client.get(ME, headers=headers).json()["roles"] == []  # still cached
    clock.t += 0.1
    assert client.get(ME, headers=headers).json()["roles"] == ["SUPERIOR"]
    gateway_world.operator.send(
        gateway_world.ledger.functions.revokeRole(superior, outsider.address)
    )
    clock.t += 5.0
    assert client.get(ME, headers=headers).json()["roles"] == []


def test_require_role(probed: TestClient, gateway_world: World) -> None:
    assert probed.get("/v1/probe/mint").status_code == 401
    ok = probed.get("/v1/probe/mint", headers=sign_in(probed, gateway_world.minter.key))
    assert ok.json() == {"address": gateway_world.minter.address}
    resident = gateway_world.residents[0]
    denied = probed.get("/v1/probe/mint", headers=sign_in(probed, resident.key))
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert error["code"] == "forbidden"
    assert "MINTER" in error["message"]
    assert error["details"] == {"missing_role": ["MINTER"], "roles": ["RESIDENT"]}


def test_a_resident_sees_only_their_own_data(probed: TestClient, gateway_world: World) -> None:
    residents = gateway_world.residents[:3]
    headers = [sign_in(probed, r.key) for r in residents]
    for i, reader in enumerate(residents):
        for j, owner in enumerate(residents):
            path = f"/v1/probe/claims/{owner.address.lower()}"
            response = probed.get(path, headers=headers[i])
            assert response.status_code == (200 if i == j else 403), (reader.name, owner.name)
            if i != j:
                assert response.json()["error"]["details"] == {"missing_role": ["ARBITER"]}
    arbiter = sign_in(probed, gateway_world.arbiter.key)
    assert (
        probed.get(f"/v1/probe/claims/{residents[1].address}", headers=arbiter).status_code == 200
    )
    bad = probed.get("/v1/probe/claims/0x1234", headers=headers[0])
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_request")


def test_require_role_refuses_unknown_role_names() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        require_role("ROOT")
