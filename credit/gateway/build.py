"""Assembling the gateway: chain, database and every running part, from one Settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account

from credit.chain import Transactor, rpc_web3
from credit.chain.claim_reads import cache_chain_id
from credit.chain.deploy import DeploymentRecord, System, attach
from credit.chain.node import rpc_endpoint
from credit.gateway.evidence import EvidenceStore
from credit.gateway.notices_service import NoticeService
from credit.gateway.rewards import RewardService
from credit.gateway.services import Services
from credit.gateway.verification import VerificationSettler
from credit.indexer import Indexer
from credit.relay.service import Relay
from credit.relay.worker import RelayProcess, require_rpc
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import Checkpointer, create_schema, make_engine


def wire(settings: Settings, system: System, ruleset: RuleSet) -> Services:
    """Services over an attached ``system`` with every background part (not started yet)."""
    services = _core(settings, system, ruleset)
    engine = services.engine
    create_schema(engine)
    services.indexer = Indexer(
        system, engine, confirmation_depth=settings.confirmation_depth, poll_seconds=0.2
    )
    services.relay = Relay(services, worker=_relay_process(settings, system))
    services.rewards = RewardService(services, Account.from_key(settings.minter_private_key()))
    services.evidence = EvidenceStore.from_settings(engine, settings)
    services.notices = NoticeService(services)
    # the API process keeps the shared database's log short for every process writing to it
    checkpointer = Checkpointer(engine, every=settings.database_checkpoint_seconds)
    services.background.extend([checkpointer, services.indexer, services.relay, services.rewards])
    services.background.append(VerificationSettler(services))  # finalises and credits verifiers
    return services


def _relay_process(settings: Settings, system: System) -> RelayProcess | None:
    """With ``relay_process``: the child process that will run the relay (not started yet)."""
    if not settings.relay_process:
        return None
    endpoint = rpc_endpoint(system.w3)
    require_rpc(endpoint[0] if endpoint else settings.chain)
    assert endpoint is not None
    url, poa = endpoint
    return RelayProcess(settings, url, poa, system.record.to_json())


def wire_relay(settings: Settings, rpc_url: str, poa: bool, deployment_json: str) -> Services:
    """In the relay process (:mod:`credit.relay.worker`): what the relay needs, on connections
    of its own to the same node and database as the API process."""
    from credit.compile import compile_contracts

    system = attach(
        rpc_web3(rpc_url, poa=poa), DeploymentRecord.from_json(deployment_json), compile_contracts()
    )
    # no rule file: the relay reads the rules in force from the chain
    return _core(settings, system, None)  # type: ignore[arg-type]


def _core(settings: Settings, system: System, ruleset: RuleSet) -> Services:
    """Services with their database engine and relayer, and nothing running: what both
    processes start from."""
    engine = make_engine(settings.database, busy_timeout=settings.database_busy_timeout_seconds)
    cache_chain_id(system.w3)
    relayer = Transactor(
        system.w3, Account.from_key(settings.relayer_private_key()), system.decoder, gas=3_000_000
    )
    return Services(settings, engine, system, ruleset, relayer)


def build_services(settings: Settings, network: str | None = None) -> Services:
    """Connect to the deployed system on ``network`` (default: embedded) and wire everything."""
    from credit.compile import compile_contracts
    from credit.errors import CreditError
    from credit.ops.deploy import find_deployment, load_existing
    from credit.ops.networks import connect, resolve_network
    from credit.ruleset import load_ruleset

    net = resolve_network(
        network, settings.chain if settings.chain.startswith("http") else None, settings.chain_id
    )
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
