"""Gateway fixtures: a deployed world, a fresh database per test, the real ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from web3 import EthereumTesterProvider

from credit.artifacts import Artifact
from credit.chain import Transactor, embedded_web3, fund, role_id
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.schema import create_schema
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def gateway_world(artifacts: dict[str, Artifact], ruleset: RuleSet) -> World:
    """A deployed city; the gateway's relayer key is funded, its minter key holds MINTER_ROLE."""
    world = build_world(embedded_web3(), artifacts, ruleset)
    relayer = Account.from_key(Settings().relayer_private_key())
    minter = Account.from_key(Settings().minter_private_key())
    fund(world.w3, [relayer.address, minter.address], 10**22)
    world.operator.send(world.ledger.functions.grantRole(role_id("MINTER_ROLE"), minter.address))
    return world


@pytest.fixture
def gw_settings(tmp_path: Path, database_url: str) -> Settings:
    """The gateway's settings over a fresh database: SQLite, or each engine in tests marked
    ``engines`` (tests/support/db_engines.py)."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        siwe_domain="testserver",
        siwe_uri="http://testserver",
        batch_window_seconds=0.05,
    )


@pytest.fixture
def services(gateway_world: World, gw_settings: Settings) -> Iterator[Services]:
    """Services over the world's chain, rolled back after the test like the `world` fixture."""
    provider = gateway_world.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    tester = provider.ethereum_tester
    snapshot = tester.take_snapshot()
    engine = make_engine(gw_settings.database)
    create_schema(engine)
    relayer = Transactor(
        gateway_world.w3,
        Account.from_key(gw_settings.relayer_private_key()),
        gateway_world.system.decoder,
        gas=12_000_000,
    )
    svc = Services(gw_settings, engine, gateway_world.system, gateway_world.ruleset, relayer)
    yield svc
    svc.stop()
    engine.dispose()
    tester.revert_to_snapshot(snapshot)
    gateway_world.reset_nonces()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """HTTP through the real app (lifespan runs, so background workers start and stop)."""
    with TestClient(create_app(services)) as c:
        yield c
