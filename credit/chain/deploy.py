"""Deploying the whole system and loading an existing deployment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain.eip712 import Domain
from credit.chain.reverts import ErrorDecoder
from credit.chain.tx import Transactor
from credit.errors import ChainError
from credit.ruleset import RuleSet

ROLE_NAMES = (
    "REGISTRAR_ROLE",
    "SUPERIOR_ROLE",
    "PUBLIC_PANEL_ROLE",
    "EXPERT_ROLE",
    "ARBITER_ROLE",
    "MINTER_ROLE",
    "VERIFIER_ROLE",
)


def role_id(name: str) -> bytes:
    """The AccessControl role id (``keccak256(name)``); DEFAULT_ADMIN_ROLE is zero."""
    return b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else Web3.keccak(text=name)


def abi_hash(abi: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(abi, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class DeployedContract:
    address: str
    tx_hash: str
    block: int
    abi_hash: str


@dataclass(frozen=True)
class DeploymentRecord:
    """What ``deployments/<network>.json`` holds: enough to find and verify every contract."""

    network: str
    chain_id: int
    compiler: str
    contracts: dict[str, DeployedContract]
    epoch_length: int
    notice_period: int
    git_commit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start_block(self) -> int:
        return min(c.block for c in self.contracts.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DeploymentRecord:
        data = json.loads(text)
        data["contracts"] = {k: DeployedContract(**v) for k, v in data["contracts"].items()}
        return cls(**data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")


@dataclass
class System:
    """Typed handles on a deployed system."""

    w3: Web3
    record: DeploymentRecord
    rule_book: Contract
    ledger: Contract
    decoder: ErrorDecoder

    @property
    def domain(self) -> Domain:
        return Domain(self.record.chain_id, self.ledger.address)


def attach(w3: Web3, record: DeploymentRecord, artifacts: dict[str, Artifact]) -> System:
    """Handles on an existing deployment.

    Refuses a node whose chain id differs from the record's.
    """
    chain_id = w3.eth.chain_id
    if chain_id != record.chain_id:
        raise ChainError(
            f"the node's chain id is {chain_id} but the deployment file says {record.chain_id}: "
            "point the RPC URL at the right network or use another deployment file"
        )
    rb, lg = artifacts["RuleBook"], artifacts["CreditLedger"]
    return System(
        w3=w3,
        record=record,
        rule_book=w3.eth.contract(
            address=_checksum(record.contracts["RuleBook"].address), abi=rb.abi
        ),
        ledger=w3.eth.contract(
            address=_checksum(record.contracts["CreditLedger"].address), abi=lg.abi
        ),
        decoder=decoder_for(artifacts),
    )


def _checksum(address: object) -> ChecksumAddress:
    return Web3.to_checksum_address(str(address))


def decoder_for(artifacts: dict[str, Artifact]) -> ErrorDecoder:
    return ErrorDecoder(a.abi for a in artifacts.values())


def deploy_system(
    deployer: Transactor,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    *,
    network: str = "embedded",
    roles: dict[str, list[str]] | None = None,
    admin: str | None = None,
    notice_period: int = 7 * 86400,
    epoch_length: int = 7 * 86400,
    rules_uri: str = "",
    git_commit: str = "",
    on_step: Callable[[str, Any], None] | None = None,
) -> System:
    """Deploy RuleBook and CreditLedger, grant ``roles`` and publish ``ruleset`` as version 1.

    The deployer is governor of the rule book and, until ``admin`` differs, admin of both; it grants
    ``roles`` ({"REGISTRAR_ROLE": [addresses], ...}) then, if ``admin`` is another account (a
    multisig or timelock), hands DEFAULT_ADMIN_ROLE to it and renounces its own.
    """
    w3 = deployer.w3
    me = deployer.address
    step = on_step or (lambda _name, _receipt: None)
    rb_art, lg_art = artifacts["RuleBook"], artifacts["CreditLedger"]
    rb_receipt = deployer.deploy(rb_art.abi, rb_art.bytecode, me, me, notice_period)
    step("deploy RuleBook", rb_receipt)
    rule_book = w3.eth.contract(address=_checksum(rb_receipt["contractAddress"]), abi=rb_art.abi)
    lg_receipt = deployer.deploy(lg_art.abi, lg_art.bytecode, me, rule_book.address, epoch_length)
    step("deploy CreditLedger", lg_receipt)
    ledger = w3.eth.contract(address=_checksum(lg_receipt["contractAddress"]), abi=lg_art.abi)

    for name, holders in (roles or {}).items():
        if name not in ROLE_NAMES:
            raise ChainError(f"unknown role {name!r}: use one of {', '.join(ROLE_NAMES)}")
        for holder in holders:
            receipt = deployer.send(ledger.functions.grantRole(role_id(name), holder), gas=120_000)
            step(f"grant {name} to {holder}", receipt)

    step("bind ledger", deployer.send(rule_book.functions.bindLedger(ledger.address), gas=100_000))
    ids, rules = ruleset.onchain_categories()
    publish = rule_book.functions.publish(ruleset.onchain_terms(), rules_uri, ids, rules)
    step("publish rule set v1", deployer.send(publish, gas=3_000_000))
    if admin and admin.lower() != me.lower():
        admin_role = role_id("DEFAULT_ADMIN_ROLE")
        for contract in (rule_book, ledger):
            grant = contract.functions.grantRole(admin_role, admin)
            step(f"hand admin of {contract.address} to {admin}", deployer.send(grant, gas=120_000))
            renounce = contract.functions.renounceRole(admin_role, me)
            receipt = deployer.send(renounce, gas=120_000)
            step(f"renounce deployer admin of {contract.address}", receipt)

    record = DeploymentRecord(
        network=network,
        chain_id=w3.eth.chain_id,
        compiler=lg_art.compiler_version,
        contracts={
            "RuleBook": DeployedContract(
                rule_book.address,
                rb_receipt["transactionHash"].to_0x_hex(),
                rb_receipt["blockNumber"],
                abi_hash(rb_art.abi),
            ),
            "CreditLedger": DeployedContract(
                ledger.address,
                lg_receipt["transactionHash"].to_0x_hex(),
                lg_receipt["blockNumber"],
                abi_hash(lg_art.abi),
            ),
        },
        epoch_length=epoch_length,
        notice_period=notice_period,
        git_commit=git_commit,
    )
    return System(w3, record, rule_book, ledger, decoder_for(artifacts))
