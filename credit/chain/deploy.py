"""Deploying the whole system and loading an existing deployment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from credit.errors import ChainError, CreditError
from credit.ruleset import RuleSet
from credit.vocabulary import GRANTABLE_ROLES

ROLE_NAMES = GRANTABLE_ROLES  # the ledger's roles an operator may grant (credit.vocabulary)


def role_id(name: str) -> bytes:
    """The AccessControl role id (``keccak256(name)``); DEFAULT_ADMIN_ROLE is zero."""
    return b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else Web3.keccak(text=name)


def abi_role_names(abi: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every role of a contract, read from its ABI: DEFAULT_ADMIN_ROLE and each ``*_ROLE``
    constant, if the contract has AccessControl's ``hasRole``; none otherwise."""
    names = {i.get("name", "") for i in abi if i.get("type") == "function"}
    if "hasRole" not in names:
        return ()
    return tuple(sorted(n for n in names if n.endswith("_ROLE")))


def check_key_plan(
    deployer: str,
    *,
    admin: str | None,
    governor: str | None,
    roles: Mapping[str, Sequence[str]],
    relayer: str | None,
) -> str | None:
    """Refuse a key plan that leaves a hot key in charge; returns the governor after a hand-off.

    Without ``admin`` the deployer stays admin and governor (a dev deployment). With it (a multisig
    or timelock), ``governor`` (default: ``admin``) gets GOVERNOR_ROLE and the deployer keeps no
    role, so it may not be named in ``roles``; the admin and the governor administer only, so they
    are not named there either. The gateway's ``relayer`` key is never an admin nor the governor.
    """
    for name in roles:
        if name not in ROLE_NAMES:
            raise CreditError(f"unknown role {name!r}: use one of {', '.join(ROLE_NAMES)}")
    named = {
        "--admin": admin,
        "--governor": governor,
        "--relayer": relayer,
        **{f"{r} holder": h for r, hs in roles.items() for h in hs},
    }
    for label, address in named.items():
        if address is not None and (not Web3.is_address(address) or int(address, 16) == 0):
            raise CreditError(
                f"{label} {address!r} is not a usable address (0x + 40 hex, not zero)"
            )
    me = deployer.lower()
    holders = {h.lower(): r for r, hs in roles.items() for h in hs}
    if admin is None:
        if governor is not None:
            raise CreditError("--governor needs --admin: without a hand-off the deployer governs")
        if relayer is not None and relayer.lower() == me:
            raise CreditError(
                "the relayer key would stay admin and governor (no --admin hand-off): deploy from "
                "an operator key and hand the admin role to the city's multisig with --admin"
            )
        return None
    governor = governor or admin
    for label, key in (("--admin", admin), ("--governor", governor)):
        if key.lower() == me:
            raise CreditError(
                f"{label} is the deploying key itself: "
                "name the multisig or timelock that will hold it"
            )
        if key.lower() in holders:
            raise CreditError(
                f"{label} {key} is also named for {holders[key.lower()]}: the admin and the "
                "governor administer only; give operational roles to other keys"
            )
        if relayer is not None and key.lower() == relayer.lower():
            raise CreditError(
                f"{label} {key} is the gateway's relayer key: a key the gateway holds online must "
                "never administer the ledger or its rules"
            )
    if me in holders:
        raise CreditError(
            f"the deploying key is named for {holders[me]}, but it keeps no role after the "
            "hand-off to --admin: name another key for that role"
        )
    return governor


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
    governor: str | None = None,
    relayer: str | None = None,
    notice_period: int = 7 * 86400,
    epoch_length: int = 7 * 86400,
    rules_uri: str = "",
    git_commit: str = "",
    on_step: Callable[[str, Any], None] | None = None,
) -> System:
    """Deploy RuleBook and CreditLedger, grant ``roles`` and publish ``ruleset`` as version 1.

    The deployer is admin of both and governor of the rule book while it grants ``roles``
    ({"REGISTRAR_ROLE": [addresses], ...}), binds the ledger and publishes. Given ``admin`` (a
    multisig or timelock) it then hands over: DEFAULT_ADMIN_ROLE of both contracts to ``admin``,
    GOVERNOR_ROLE to ``governor`` (default ``admin``), and renounces every role it held, which is
    checked on chain before returning. :func:`check_key_plan` refuses a bad plan (``relayer``: the
    gateway's key, never an admin) before anything is sent.
    """
    w3 = deployer.w3
    me = deployer.address
    governor = check_key_plan(
        me, admin=admin, governor=governor, roles=roles or {}, relayer=relayer
    )
    step = on_step or (lambda _name, _receipt: None)
    rb_art, lg_art = artifacts["RuleBook"], artifacts["CreditLedger"]
    rb_receipt = deployer.deploy(rb_art.abi, rb_art.bytecode, me, me, notice_period)
    step("deploy RuleBook", rb_receipt)
    rule_book = w3.eth.contract(address=_checksum(rb_receipt["contractAddress"]), abi=rb_art.abi)
    lg_receipt = deployer.deploy(lg_art.abi, lg_art.bytecode, me, rule_book.address, epoch_length)
    step("deploy CreditLedger", lg_receipt)
    ledger = w3.eth.contract(address=_checksum(lg_receipt["contractAddress"]), abi=lg_art.abi)

    for name, holders in (roles or {}).items():
        for holder in holders:
            receipt = deployer.send(ledger.functions.grantRole(role_id(name), holder), gas=120_000)
            step(f"grant {name} to {holder}", receipt)

    step("bind ledger", deployer.send(rule_book.functions.bindLedger(ledger.address), gas=100_000))
    ids, rules = ruleset.onchain_categories()
    publish = rule_book.functions.publish(ruleset.onchain_terms(), rules_uri, ids, rules)
    step("publish rule set v1", deployer.send(publish, gas=3_000_000))
    if admin is not None and governor is not None:
        _hand_over(deployer, step, rule_book, ledger, admin, governor)

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


def _hand_over(
    deployer: Transactor,
    step: Callable[[str, Any], None],
    rule_book: Contract,
    ledger: Contract,
    admin: str,
    governor: str,
) -> None:
    """Give the admin and governor roles away, renounce all of the deployer's, check none is left.

    Grants come first and the deployer's admin role goes last, so a failure half-way leaves the
    deployer able to finish by hand.
    """
    me = deployer.address
    admin_role, governor_role = role_id("DEFAULT_ADMIN_ROLE"), role_id("GOVERNOR_ROLE")
    moves: list[tuple[str, Any]] = [
        (
            f"grant GOVERNOR_ROLE of RuleBook to {governor}",
            rule_book.functions.grantRole(governor_role, governor),
        ),
        (
            f"grant DEFAULT_ADMIN_ROLE of RuleBook to {admin}",
            rule_book.functions.grantRole(admin_role, admin),
        ),
        (
            f"grant DEFAULT_ADMIN_ROLE of CreditLedger to {admin}",
            ledger.functions.grantRole(admin_role, admin),
        ),
        (
            "renounce the deployer's GOVERNOR_ROLE of RuleBook",
            rule_book.functions.renounceRole(governor_role, me),
        ),
        (
            "renounce the deployer's DEFAULT_ADMIN_ROLE of RuleBook",
            rule_book.functions.renounceRole(admin_role, me),
        ),
        (
            "renounce the deployer's DEFAULT_ADMIN_ROLE of CreditLedger",
            ledger.functions.renounceRole(admin_role, me),
        ),
    ]
    for label, fn in moves:
        step(label, deployer.send(fn, gas=120_000))
    for name, contract in (("RuleBook", rule_book), ("CreditLedger", ledger)):
        for role in abi_role_names(contract.abi):
            if contract.functions.hasRole(role_id(role), me).call():
                raise ChainError(
                    f"after the hand-off the deployer {me} still holds {role} on {name}: revoke it "
                    "from the admin account before using this deployment"
                )
