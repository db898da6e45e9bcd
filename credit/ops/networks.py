"""Named networks and connecting to them, with the chain-id guard."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
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


def resolve_network(
    name: str | None, rpc_url: str | None, chain_id: int | None, *, dev: bool = False
) -> Network:
    """The network named ``name`` (at ``rpc_url`` when given: a node on another port), or an
    ad-hoc one for ``rpc_url`` alone (named by its chain id). A node given by URL alone counts as
    production (keystore keys, nothing funded) unless ``dev`` says it is a dev node."""
    if name is None and rpc_url:
        return Network(
            f"rpc-{chain_id}" if chain_id else "rpc", rpc_url=rpc_url, chain_id=chain_id, dev=dev
        )
    networks = load_networks()
    key = name or "embedded"
    if key not in networks:
        raise CreditError(
            f"unknown network {key!r}: use one of {', '.join(sorted(networks))} or --rpc-url"
        )
    net = networks[key]
    if rpc_url:
        if net.rpc_url is None:
            raise CreditError(f"network {key!r} is the embedded chain: it has no node URL")
        net = replace(net, rpc_url=rpc_url, chain_id=chain_id or net.chain_id)
    return replace(net, dev=True) if dev else net


def network_for(
    settings: Settings,
    name: str | None = None,
    rpc_url: str | None = None,
    chain_id: int | None = None,
    *,
    dev: bool = False,
) -> Network:
    """:func:`resolve_network` with the settings' defaults: ``CREDIT_NETWORK`` for the name,
    ``CREDIT_CHAIN`` (when it is a URL) for the node and ``CREDIT_CHAIN_ID`` for the chain id,
    so that an operator's environment names the network once for every command."""
    chain = settings.chain if settings.chain.startswith(("http://", "https://")) else None
    return resolve_network(
        name or settings.network,
        rpc_url or chain,
        chain_id if chain_id is not None else settings.chain_id,
        dev=dev,
    )


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
    """The operator's own key (``CREDIT_OPERATOR_KEYSTORE``; the dev operator key on dev chains
    in the dev profile), never the gateway's. In the dev profile on a dev chain the operator's
    and the gateway's keys are funded; elsewhere nothing is (``credit fund``)."""
    if not network.dev and settings.operator_keystore is None:
        where = f"the node at {network.rpc_url}" if network.rpc_url else repr(network.name)
        raise CreditError(
            f"{where} is not a dev chain (network {network.name!r}; a node given by --rpc-url "
            "counts as production unless --dev is given): operator commands sign with your own "
            "key there: set CREDIT_OPERATOR_KEYSTORE and CREDIT_OPERATOR_KEYSTORE_PASSWORD (or "
            "--keystore FILE); `credit keys new FILE` makes one, `credit fund ADDRESS` funds it"
        )
    account: LocalAccount = Account.from_key(settings.operator_private_key())
    if network.dev and settings.profile == "dev":
        from credit.relay.senders import pool_addresses

        keys = [account.address, Account.from_key(settings.minter_private_key()).address]
        poor = [a for a in [*keys, *pool_addresses(settings)] if w3.eth.get_balance(a) < 10**18]
        if poor:
            fund(w3, poor, 10**21)
    return account
