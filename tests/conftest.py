"""Shared fixtures: compile once per session, deploy once per module, snapshot per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import EthereumTesterProvider

from credit.artifacts import Artifact
from credit.chain import embedded_web3
from credit.compile import compile_contracts
from credit.errors import CreditError, ToolchainError
from credit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from tests.support.world import World, build_world

pytest_plugins = [
    "tests.support.browser",  # browser: headless Chromium (tests/web, the demo's journey)
    "tests.support.db_engines",  # database_url: SQLite, and PostgreSQL where marked
    "tests.support.gateway_fixtures",  # gateway_world, gw_settings, services, client
]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile into build/ before any test, outside pytest-timeout and with progress shown.

    Runs in the controller before xdist starts its workers (xdist's own hook runs last), so a
    slow solc-js run on a busy machine can no longer time out a fixture and error every test."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller has compiled
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter else None
    try:
        compile_contracts(shipped=False, progress=say)
    except ToolchainError as exc:  # no Node.js or npm packages: the shipped artifacts serve
        if say:
            say(f"not compiling ({exc}): tests use the shipped artifacts if they match")
    except CreditError as exc:
        pytest.exit(f"the contracts do not compile, so no test runs:\n{exc}", returncode=1)


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return compile_contracts()


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset(DEFAULT_RULESET)


@pytest.fixture(scope="module")
def deployed(artifacts: dict[str, Artifact], ruleset: RuleSet) -> World:
    return build_world(embedded_web3(), artifacts, ruleset)


@pytest.fixture
def world(deployed: World) -> Iterator[World]:
    """The module's deployed world, rolled back to its starting state after each test."""
    provider = deployed.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    tester = provider.ethereum_tester
    snapshot = tester.take_snapshot()
    yield deployed
    tester.revert_to_snapshot(snapshot)
    deployed.reset_nonces()
