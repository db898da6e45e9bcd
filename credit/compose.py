"""The one composition root: every process's parts, from one Settings.

The API (``credit serve``), the relay worker (``credit relay run``), the indexer worker
(``credit index run``) and the CLI build their parts here and nowhere else, so that no layer
builds itself through another: the relay gets its :class:`~credit.relay.core.RelayParts`
from here, not from the gateway.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account

from credit.chain import Transactor
from credit.chain.claim_reads import cache_chain_id
from credit.chain.deploy import System
from credit.gateway.auth import SessionStore
from credit.gateway.evidence import EvidenceStore
from credit.gateway.notices_service import NoticeService
from credit.gateway.rewards import RewardService
from credit.gateway.services import Services
from credit.gateway.verification import VerificationSettler
from credit.indexer import Indexer
from credit.indexer.follower import IndexFollower
from credit.relay.service import Relay
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.feed import ChangeFeed
from credit.store.schema import create_schema
from credit.store.wal import Checkpointer


def wire(settings: Settings, system: System, ruleset: RuleSet) -> Services:
    """Services over an attached ``system`` with every background part (not started yet).

    With ``run_workers`` (the embedded shape) the relay, the indexer, the payers and the
    checkpointer are in ``services.background`` and start with the API. Without it the API
    process only takes requests (the relay's intake writes claims for the relay worker) and
    the parts run in ``credit relay run`` and ``credit index run`` (:mod:`credit.workers`),
    which start them themselves."""
    services = _core(settings, system, ruleset)
    engine = services.engine
    create_schema(engine)
    if engine.dialect.name == "postgresql":  # processes share the database: tell each other
        services.feed = ChangeFeed(engine)
        services.sessions = SessionStore(engine, settings, feed=services.feed)
        services.background.append(services.feed)
    services.indexer = Indexer(
        system, engine, confirmation_depth=settings.confirmation_depth, poll_seconds=0.2
    )
    services.relay = Relay(services)
    services.rewards = RewardService(services, Account.from_key(settings.minter_private_key()))
    services.evidence = EvidenceStore.from_settings(engine, settings)
    services.notices = NoticeService(services)
    services.settler = VerificationSettler(services)  # finalises and credits verifiers
    if settings.run_workers:
        checkpointer = Checkpointer(engine, every=settings.database_checkpoint_seconds)
        services.background.extend([checkpointer, services.indexer, services.relay])
        services.background.extend([services.rewards, services.settler])
    elif services.feed is not None:  # the indexer runs in `credit index run`: follow it
        IndexFollower(services.indexer, services.feed)
    return services


def require_api_only_database(services: Services) -> None:
    """``credit serve`` without its workers runs as N processes over one database that the
    workers share: PostgreSQL (SQLite is the one-process embedded shape)."""
    from credit.errors import CreditError

    if services.engine.dialect.name != "postgresql":
        raise CreditError(
            "CREDIT_RUN_WORKERS=false needs PostgreSQL (CREDIT_DATABASE_URL=postgresql+psycopg://"
            "...): SQLite is the embedded, one-process shape, where `credit serve` runs its "
            "relay and indexer itself"
        )


def _core(settings: Settings, system: System, ruleset: RuleSet) -> Services:
    """Services with their database engine and relayer, and nothing running."""
    engine = make_engine(settings.database, busy_timeout=settings.database_busy_timeout_seconds)
    cache_chain_id(system.w3)
    relayer = Transactor(
        system.w3, Account.from_key(settings.relayer_private_key()), system.decoder, gas=3_000_000
    )
    return Services(settings, engine, system, ruleset, relayer)


def build_services(settings: Settings, network: Any = None) -> Services:
    """Connect to the deployed system on ``network`` (a name, a resolved
    :class:`credit.ops.networks.Network`, or None: ``CREDIT_NETWORK``/``CREDIT_CHAIN``, else the
    embedded chain) and wire everything."""
    from credit.compile import compile_contracts
    from credit.errors import CreditError
    from credit.ops.deploy import find_deployment, load_existing
    from credit.ops.networks import Network, connect, network_for
    from credit.ruleset import load_ruleset

    net = network if isinstance(network, Network) else network_for(settings, network)
    w3: Any = connect(net, settings)
    path = find_deployment(net, settings)
    system = load_existing(w3, Path(path), compile_contracts())
    if system is None:
        raise CreditError(
            f"no deployment in {path}: run `credit deploy --network {net.name}` first"
        )
    if not net.dev:
        refuse_governing_keys(settings, system)
    # The file of the version in force (the notices refuse any other): read as published, since
    # the gateway serves what is on chain; `credit rules check/publish` judge new versions.
    return wire(settings, system, load_ruleset(settings.ruleset_file, published=True))


def refuse_governing_keys(settings: Settings, system: System) -> None:
    """The gateway's keys are online: neither may administer the ledger or govern its rules."""
    from credit.chain.roles import governing_roles
    from credit.errors import CreditError
    from credit.relay.senders import pool_addresses

    keys = [("relayer", a) for a in pool_addresses(settings)]
    keys.append(("minter", Account.from_key(settings.minter_private_key()).address))
    for name, address in keys:
        held = governing_roles(system, address)
        if held:
            raise CreditError(
                f"the gateway's {name} key {address} holds {', '.join(held)}: an online key must "
                "never administer the ledger; hand those roles to the city's multisig (`credit "
                "deploy --admin`, or grantRole/renounceRole from the admin) or give the gateway "
                "another key"
            )
