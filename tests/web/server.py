"""The real gateway (every background part, the web client) on a loopback port, in a thread.

Services are started and stopped here, not by the app's lifespan, so the HTTP server can be
stopped and started again (the "gateway unavailable" test) while the chain, database, relay and
indexer carry on, as they would behind a restarted proxy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import uvicorn
from eth_account import Account

from credit.artifacts import Artifact
from credit.chain import embedded_web3, fund, role_id
from credit.compose import wire
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.anvil import free_port
from tests.support.world import World, add_verifier, build_world


def gateway_world(
    artifacts: dict[str, Artifact], ruleset: RuleSet, *, verifier: bool = False
) -> World:
    """A deployed city whose gateway relayer is funded and whose minter key holds MINTER_ROLE;
    with ``verifier``, an EpochVerifier too (:func:`tests.support.world.add_verifier`: quorum 2,
    commit and reveal windows of two days each, from the start of the next epoch)."""
    world = build_world(embedded_web3(), artifacts, ruleset)
    relayer = Account.from_key(Settings().relayer_private_key())
    minter = Account.from_key(Settings().minter_private_key())
    fund(world.w3, [relayer.address, minter.address], 10**22)
    world.operator.send(world.ledger.functions.grantRole(role_id("MINTER_ROLE"), minter.address))
    if verifier:
        add_verifier(world, artifacts)
    return world


class LiveGateway:
    """``wire()``d services over ``world`` served by uvicorn at :attr:`url`."""

    def __init__(self, world: World, data_dir: Path) -> None:
        self.world = world
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'gateway.sqlite'}",
            siwe_domain=f"127.0.0.1:{self.port}",
            siwe_uri=self.url,
            batch_window_seconds=0.05,
            signin_rate_per_minute=1000,
            signin_rate_per_address_per_minute=1000,
        )
        self.services: Services = wire(self.settings, world.system, world.ruleset)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def chain_id(self) -> int:
        return int(self.world.system.record.chain_id)

    def start(self) -> None:
        """Start the background parts (idempotent) and the HTTP server; wait until it listens."""
        self.services.start()
        config = uvicorn.Config(
            create_app(self.services, start_background=False),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="web-gateway", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the gateway did not start on {self.url}")
            time.sleep(0.02)

    def _serve(self) -> None:
        assert self._server is not None
        # asyncio's default executor, as in production: an open notice stream holds no thread
        asyncio.run(self._server.serve())

    def stop_http(self) -> None:
        """Stop answering HTTP (connections are refused); services keep running."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            assert not self._thread.is_alive(), "the gateway's HTTP server did not stop"
        self._server = self._thread = None

    def stop(self) -> None:
        """Stop HTTP and every background part."""
        self.stop_http()
        self.services.stop()
        self.services.engine.dispose()
