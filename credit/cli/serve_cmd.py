"""``credit serve``: the gateway and web client for a deployed network."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from credit.cli.netopts import NodeArgs, grouped

console = Console(soft_wrap=True)
LOW_BALANCE_WEI = 10**16  # 0.01 ETH: a few hundred relayed batches at a city network's prices


def bound_to(settings: Any, host: str, port: int) -> Any:
    """Sign-In with Ethereum binds the domain and URI: default them to where we serve (behind
    a reverse proxy set CREDIT_SIWE_DOMAIN and CREDIT_SIWE_URI to the public ones)."""
    unset = {"siwe_domain", "siwe_uri"} - settings.model_fields_set
    values = {"siwe_domain": f"{host}:{port}", "siwe_uri": f"http://{host}:{port}"}
    return settings.model_copy(update={k: v for k, v in values.items() if k in unset})


@grouped
def serve_cmd(
    node: NodeArgs,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="proxies (comma-separated IPs, or *) whose X-Forwarded-For/-Proto are trusted "
            "as the client's; default: uvicorn's FORWARDED_ALLOW_IPS, else 127.0.0.1"
        ),
    ] = None,
) -> None:
    """Serve the gateway and the resident web client for a deployed network.

    With CREDIT_RUN_WORKERS=false (PostgreSQL only) the API alone, as one of N processes,
    beside `credit relay run` and `credit index run`."""
    from credit.compose import build_services, require_api_only_database
    from credit.serve import serve as run_server
    from credit.settings import get_settings

    settings = bound_to(get_settings(), host, port)
    net = node.resolve(settings)
    services = build_services(settings, net)
    if not services.settings.run_workers:
        require_api_only_database(services)
    for warning in key_warnings(services, net.name):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"Serving {net.name} on http://{host}:{port}/", highlight=False)
    run_server(services, host, port, forwarded_allow_ips=forwarded_allow_ips)


def key_warnings(services: Any, network: str) -> list[str]:
    """What the gateway's keys lack: gas (relayer pool and minter), MINTER_ROLE (the minter)."""
    from eth_account import Account

    from credit.chain import role_id
    from credit.relay.senders import pool_addresses

    settings, system = services.settings, services.system
    keys = [("relayer", a) for a in pool_addresses(settings)]
    try:
        minter: str | None = Account.from_key(settings.minter_private_key()).address
    except ValueError:  # no minter key configured: say so, and check the rest
        minter = None
    keys += [("minter", minter)] if minter else []
    poor = [(n, a) for n, a in keys if system.w3.eth.get_balance(a) < LOW_BALANCE_WEI]
    out = [
        f"the {name} key {address} has less than 0.01 ETH for gas: "
        f"`credit fund {address} --network {network}`"
        for name, address in poor
    ]
    if minter is None:
        out.append(
            "no minter key (CREDIT_MINTER_KEYSTORE and _PASSWORD): no reward is paid, and "
            "appeals and verification ballots cannot be relayed"
        )
    elif not system.ledger.functions.hasRole(role_id("MINTER_ROLE"), minter).call():
        out.append(
            f"the minter key {minter} lacks MINTER_ROLE, so no reward is paid: "
            f"`credit roles grant MINTER_ROLE {minter} --network {network}` (admin key)"
        )
    return out
