"""Running the gateway (and the web client it serves) with uvicorn; the full demo on top of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from credit.artifacts import Artifact
from credit.chain.deploy import System
from credit.demo import EvidenceItem, demo_people, demo_roles, seed_city, write_roster
from credit.ruleset import RuleSet
from credit.settings import Settings


def serve(services: Any, host: str, port: int, *, forwarded_allow_ips: str | None = None) -> None:
    """Serve the gateway until interrupted; background workers start and stop with it.

    Behind a reverse proxy, the client address (the key of the per-client rate limits) comes
    from ``X-Forwarded-For`` of the proxies ``forwarded_allow_ips`` trusts (uvicorn's default:
    ``FORWARDED_ALLOW_IPS``, else 127.0.0.1)."""
    import uvicorn

    from credit.gateway.app import create_app

    uvicorn.run(
        create_app(services),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def prepare_demo(
    settings: Settings, artifacts: dict[str, Artifact], ruleset: RuleSet, say: Callable[[str], None]
) -> tuple[System, list[Any]]:
    """The demo city on the persistent embedded chain: deployed and seeded on first run only."""
    from eth_account import Account

    from credit.ops.deploy import deploy, load_existing
    from credit.ops.networks import Network, connect, operator_account

    net = Network("embedded", dev=True)
    w3 = connect(net, settings)
    people = demo_people(w3, artifacts)
    directory = Path(settings.data_dir) / "deployments"
    existing = load_existing(w3, directory / "embedded.json", artifacts)
    if existing is not None:
        say(f"Resuming the demo city from {settings.data_dir} (block {w3.eth.block_number})")
        return existing, people
    relayer = operator_account(w3, net, settings)  # also funds the gateway's relayer key
    minter = Account.from_key(settings.minter_private_key())
    if w3.eth.get_balance(minter.address) < 10**18:
        from credit.chain import fund

        fund(w3, [minter.address], 10**21)
    outcome = deploy(
        w3,
        people[0].tx.account,
        artifacts,
        ruleset,
        net,
        settings,
        roles=demo_roles(people, minter.address),
        directory=directory,
    )
    system = load_existing(w3, directory / "embedded.json", artifacts)
    assert system is not None and outcome.status == "deployed"
    say(f"Deployed the ledger on the embedded chain ({settings.data_dir}/chain.sqlite)")
    say(f"The gateway relays with {relayer.address} and pays rewards with {minter.address}")
    write_roster(Path(settings.data_dir) / "roster.json", people[6:])
    from credit.compose import wire

    services = wire(settings, system, ruleset)  # nothing started: its stores and relay intake
    try:
        assert services.evidence is not None and services.relay is not None
        keeper, intake = (
            StoredEvidence(services.evidence),
            RelayIntake(services.relay, services.evidence),
        )
        seed_city(system, people, ruleset, settings, say, keeper=keeper, intake=intake)
        system.record.save(directory / "embedded.json")  # with the verifier the story deployed
    finally:
        services.engine.dispose()
    say(f"The registry office's roster (personal data, off chain): {settings.data_dir}/roster.json")
    return system, people


class StoredEvidence:
    """The demo's evidence in the gateway's evidence store, as residents' uploads would be: the
    owner can read or erase it in the web client; the chain holds only its commitment."""

    def __init__(self, store: Any) -> None:
        self.store = store  # credit.gateway.evidence.EvidenceStore

    def keep(self, owner: str, text: str) -> EvidenceItem:
        record = self.store.put(owner, text.encode(), "text/plain")
        _, _, salt = self.store.read(record.id, owner, frozenset())
        return EvidenceItem(owner, text, salt, bytes.fromhex(record.commitment[2:]))


class RelayIntake:
    """The demo's claims waiting for confirmations, through the gateway's relay intake (every
    check a resident's claim passes), so they wait in its store as residents' claims do."""

    def __init__(self, relay: Any, evidence: Any) -> None:
        self.relay = relay  # credit.relay.service.Relay, not started
        self.evidence = evidence  # credit.gateway.evidence.EvidenceStore

    def claim(self, payload: Any) -> None:
        self.relay.accept_claim(payload)

    def confirm(self, payload: Any) -> None:
        self.relay.accept_confirmation(payload)

    def reject(self, record_id: str, payload: Any) -> None:
        self.relay.reject_claim(record_id, payload)

    def appeal_statement(self, record_id: str, statement: bytes, author: str) -> None:
        from credit.gateway.appeals import link_text

        kept = self.evidence.find("0x" + statement.hex())
        if kept is None:
            raise ValueError(f"no kept text has the commitment 0x{statement.hex()}")
        link_text(self.relay.engine, record_id, "statement", kept.id, author)


def audit_command(settings: Settings, host: str, port: int) -> str:
    """The one command that audits the served demo city while it runs: ``credit audit`` reading
    the chain through the gateway's public, read-only ``/rpc``, with the demo's deployment file
    and the rule-set file whose hash it published."""
    import shlex

    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    reach = f"[{reach}]" if ":" in reach else reach
    deployment = Path(settings.data_dir) / "deployments" / "embedded.json"
    return shlex.join(
        [
            ".venv/bin/credit",
            "audit",
            "--rpc-url",
            f"http://{reach}:{port}/rpc",
            "--deployment",
            _shown(deployment),
            "--rules",
            _shown(Path(settings.ruleset_file)),
        ]
    )


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it (shorter to copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
