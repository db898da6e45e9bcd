"""Deploying to a named network: idempotent, guarded by chain id, with a dry run."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account

from credit.artifacts import Artifact
from credit.chain import Transactor, attach, deploy_system, embedded_web3, fund
from credit.chain.deploy import DeploymentRecord, System, decoder_for
from credit.errors import ChainError
from credit.ops.networks import Network
from credit.rule_documents import archive, document_uri
from credit.ruleset import RuleSet
from credit.settings import Settings

DEPLOYMENTS_DIR = Path("deployments")  # the default of CREDIT_DEPLOYMENTS_DIR
SOURCE_DIR = Path(__file__).resolve().parents[1]  # the package: its checkout names the commit


@dataclass
class DeployOutcome:
    """What ``deploy`` did: ``deployed``, ``exists`` (nothing to do) or ``planned`` (dry run)."""

    status: str
    network: str
    record: DeploymentRecord | None = None
    steps: list[tuple[str, int]] = field(default_factory=list)  # (step, gas)
    gas_price_wei: int | None = None
    path: Path | None = None  # the deployment file (written, found, or where it would be)

    @property
    def total_gas(self) -> int:
        return sum(g for _, g in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "network": self.network,
            "chain_id": self.record.chain_id if self.record else None,
            "contracts": {k: v.address for k, v in self.record.contracts.items()}
            if self.record
            else {},
            "steps": [{"step": s, "gas": g} for s, g in self.steps],
            "total_gas": self.total_gas,
            "gas_price_wei": self.gas_price_wei,
            "deployment_file": str(self.path.resolve()) if self.path else None,
        }


def deployment_file(network: Network, directory: Path = DEPLOYMENTS_DIR) -> Path:
    return directory / f"{network.name}.json"


def deployment_candidates(network: Network, settings: Settings) -> list[Path]:
    """Where ``network``'s deployment file may be, in order: ``CREDIT_DEPLOYMENT_FILE``; for the
    embedded chain, beside the chain in ``CREDIT_DATA_DIR`` (where ``credit demo`` writes it);
    ``deployments/<network>.json``."""
    if settings.deployment_file is not None:
        return [Path(settings.deployment_file)]
    found = [deployment_file(network, Path(settings.deployments_dir))]
    if network.rpc_url is None:  # the embedded chain lives in the data directory, and its file
        found.insert(0, deployment_file(network, Path(settings.data_dir) / "deployments"))
    return found


def find_deployment(network: Network, settings: Settings) -> Path:
    """The first of :func:`deployment_candidates` that exists, else where a new deployment of
    ``network`` is written (the last)."""
    candidates = deployment_candidates(network, settings)
    return next((p for p in candidates if p.exists()), candidates[-1])


def git_commit(source: Path = SOURCE_DIR) -> str:
    """The commit of the checkout the running code comes from (whatever the working directory),
    or, for an installed package outside a checkout, ``consensus-credit==<version>``."""
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"consensus-credit=={version('consensus-credit')}"
    except PackageNotFoundError:
        return ""


def load_existing(w3: Any, path: Path, artifacts: dict[str, Artifact]) -> System | None:
    """The deployment recorded in ``path`` if it is on this chain; refuses another chain."""
    if not path.exists():
        return None
    record = DeploymentRecord.from_json(path.read_text(encoding="utf-8"))
    system = attach(w3, record, artifacts)  # raises ChainError on a chain-id mismatch
    for name, contract in record.contracts.items():
        if not w3.eth.get_code(contract.address):
            raise ChainError(
                f"{path} says {name} is at {contract.address}, but there is no code there on this "
                "chain (was the chain reset?): move the file away to deploy afresh"
            )
    return system


def deploy(
    w3: Any,
    operator: Any,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    network: Network,
    settings: Settings,
    *,
    roles: dict[str, list[str]] | None = None,
    admin: str | None = None,
    governor: str | None = None,
    relayer: str | None = None,
    dry_run: bool = False,
    directory: Path | None = None,
) -> DeployOutcome:
    """Deploy everything to ``network`` unless ``deployments/<network>.json`` has it already.

    ``admin``, ``governor`` and ``relayer`` are as for :func:`credit.chain.deploy_system`, which
    refuses a key plan that leaves the deployer or the gateway's key in charge.
    """
    path = deployment_file(
        network, Path(settings.deployments_dir) if directory is None else directory
    )
    existing = load_existing(w3, path, artifacts)
    if existing is not None:
        return DeployOutcome("exists", network.name, existing.record, path=path)
    steps: list[tuple[str, int]] = []
    kwargs: dict[str, Any] = {
        "network": network.name,
        "roles": roles or {},
        "admin": admin,
        "governor": governor,
        "relayer": relayer,
        "notice_period": settings.notice_seconds,
        "epoch_length": settings.epoch_seconds,
        "git_commit": git_commit(),
        "rules_uri": document_uri(settings.rules_base_url(), 1),
        "on_step": lambda name, receipt: steps.append((name, int(receipt["gasUsed"]))),
    }
    if dry_run:
        # Rehearse on a throw-away in-memory chain: the same bytecode and calls, measured gas.
        rehearsal = embedded_web3()
        fund(rehearsal, [operator.address], 10**22)
        tx = Transactor(
            rehearsal, Account.from_key(operator.key), decoder_for(artifacts), gas=3_000_000
        )
        deploy_system(tx, artifacts, ruleset, **kwargs)
        return DeployOutcome("planned", network.name, None, steps, int(w3.eth.gas_price), path)
    tx = Transactor(w3, operator, decoder_for(artifacts), gas=3_000_000 if network.dev else None)
    archive(
        ruleset, settings.rule_documents()
    )  # the bytes its URI serves, before they are on chain
    system = deploy_system(tx, artifacts, ruleset, **kwargs)
    system.record.save(path)
    return DeployOutcome("deployed", network.name, system.record, steps, path=path)
