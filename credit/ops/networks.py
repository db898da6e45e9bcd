"""Named networks and connecting to them, with the chain-id guard."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from credit.chain import embedded_web3, fund, rpc_web3
from credit.errors import ChainError, CreditError
from credit.settings import Settings

NETWORKS_FILE = Path(__file__).resolve().parents[2] / "config" / "networks.toml"


@dataclass(frozen=True)
class Network:
    """Where a deployment lives. ``rpc_url`` None means the embedded chain."""

    name: str
    rpc_url: str | None = None
    chain_id: int | None = None
    poa: bool = False
    confirmation_depth: int = 0
    dev: bool = False  # dev chains: unlocked accounts may fund keys, the dev key is allowed


def load_networks(path: Path = NETWORKS_FILE) -> dict[str, Network]:
    """Built-in networks plus those of ``config/networks.toml``."""
    networks = {"embedded": Network("embedded", dev=True)}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CreditError(f"{path} is not valid TOML: {exc}") from exc
        for name, entry in data.get("networks", {}).items():
            unknown = set(entry) - {"rpc_url", "chain_id", "poa", "confirmation_depth", "dev"}
            if unknown:
                raise CreditError(f"network {name!r} in {path}: unknown keys {sorted(unknown)}")
            networks[name] = Network(name, **entry)
    return networks


def resolve_network(name: str | None, rpc_url: str | None, chain_id: int | None) -> Network:
    """The network named ``name``, or an ad-hoc one for ``rpc_url`` (named by its chain id)."""
    if rpc_url:
        if name:
            raise CreditError("give either --network or --rpc-url, not both")
        return Network(f"rpc-{chain_id}" if chain_id else "rpc", rpc_url=rpc_url, chain_id=chain_id)
    networks = load_networks()
    key = name or "embedded"
    if key not in networks:
        raise CreditError(
            f"unknown network {key!r}: use one of {', '.join(sorted(networks))} or --rpc-url"
        )
    return networks[key]


def connect(network: Network, settings: Settings) -> Any:
    """A Web3 for ``network``; refuses a node whose chain id is not the expected one."""
    if network.rpc_url is None:
        return embedded_web3(path=settings.chain_path or settings.data_dir / "chain.sqlite")
    w3 = rpc_web3(network.rpc_url, poa=network.poa)
    expected = network.chain_id or settings.chain_id
    actual = int(w3.eth.chain_id)
    if expected is not None and actual != expected:
        raise ChainError(
            f"the node at {network.rpc_url} has chain id {actual}, expected {expected}: "
            "check the RPC URL before sending anything"
        )
    return w3


def operator_account(w3: Any, network: Network, settings: Settings) -> LocalAccount:
    """The operator's key (keystore, or the dev key on dev chains); funded on dev chains."""
    if not network.dev and settings.relayer_keystore is None:
        raise CreditError(
            f"network {network.name!r} is not a dev chain: set CREDIT_RELAYER_KEYSTORE and "
            "CREDIT_RELAYER_KEYSTORE_PASSWORD (a raw key is never used there)"
        )
    account: LocalAccount = Account.from_key(settings.relayer_private_key())
    if network.dev:  # the relayer key and the sender pool's other keys pay gas
        from credit.relay.senders import pool_addresses

        poor = [a for a in pool_addresses(settings) if w3.eth.get_balance(a) < 10**18]
        if poor:
            fund(w3, poor, 10**21)
    return account
