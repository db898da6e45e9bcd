"""``credit keys`` (encrypted keystores) and ``credit fund`` (gas for the keys that need it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from credit.cli.netopts import OperatorArgs, grouped
from credit.errors import CreditError

console = Console(soft_wrap=True)

keys_app = typer.Typer(
    help="Operator and gateway keys (encrypted keystores).", no_args_is_help=True
)


@keys_app.command("new")
def keys_new(
    path: Path,
    password_env: Annotated[
        str | None, typer.Option(help="read the password from this environment variable")
    ] = None,
) -> None:
    """Create a new key in an encrypted keystore file (scrypt); prints its address only."""
    from eth_account import Account

    if path.exists():
        raise CreditError(f"{path} exists: refusing to overwrite a key")
    password = (
        os.environ.get(password_env, "")
        if password_env
        else typer.prompt("Keystore password", hide_input=True, confirmation_prompt=True)
    )
    if len(password) < 12:
        raise CreditError("use a password of at least 12 characters")
    account = Account.create()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(Account.encrypt(account.key, password)), encoding="utf-8")
    path.chmod(0o600)
    console.print(f"new key {account.address} saved to {path} (mode 600)", highlight=False)


@keys_app.command("address")
def keys_address(path: Path) -> None:
    """Print the address of a keystore file (no password needed), e.g. for
    ``ADMIN=$(credit keys address admin.json)``."""
    from eth_utils import is_address, to_checksum_address

    try:
        address = str(json.loads(path.read_text(encoding="utf-8")).get("address", ""))
    except (OSError, ValueError, AttributeError) as exc:
        raise CreditError(f"{path} is not a keystore file ({exc})") from exc
    address = address if address.startswith("0x") else "0x" + address
    if not is_address(address):
        raise CreditError(f"{path} names no address: is it a keystore file?")
    print(to_checksum_address(address))


@grouped
def fund(
    addresses: list[str],
    eth: Annotated[float, typer.Option("--eth", min=0.0, help="ETH sent to each address")] = 1.0,
    *,
    operator: OperatorArgs,
) -> None:
    """Send ETH (gas money) to each ADDRESS: the deployer, the gateway's relayer and minter keys.

    On a dev chain (embedded, anvil, --dev) the node's unlocked dev account pays; on any other
    network the operator's key (CREDIT_OPERATOR_KEYSTORE or --keystore) does.
    """
    from credit.chain import fund as fund_from_node
    from credit.chain.node import transfer
    from credit.ops.admin import normalise_address
    from credit.ops.networks import connect, operator_account

    checked = [normalise_address(a) for a in addresses]
    settings = operator.settings()
    net = operator.resolve(settings)
    w3 = connect(net, settings)
    wei = int(eth * 10**18)
    if net.dev:
        fund_from_node(w3, checked, wei)
        source = "the node's dev account"
    else:
        account = operator_account(w3, net, settings)
        transfer(w3, account, checked, wei)
        source = str(account.address)
    for address in checked:
        balance = w3.eth.get_balance(address) / 10**18
        console.print(
            f"sent {eth:g} ETH to {address} from {source}: it holds {balance:g} ETH",
            highlight=False,
        )
