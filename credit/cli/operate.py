"""Operator commands: deploy, roles, residents, rules, status (thin wrappers over credit.ops)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from credit.errors import CreditError

console = Console(soft_wrap=True)

NetworkOpt = Annotated[
    str | None, typer.Option("--network", "-n", help="network name (config/networks.toml)")
]
RpcOpt = Annotated[
    str | None, typer.Option("--rpc-url", help="JSON-RPC URL instead of a named network")
]
ChainIdOpt = Annotated[
    int | None, typer.Option("--chain-id", help="expected chain id (refuses others)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _context(network: str | None, rpc_url: str | None, chain_id: int | None) -> tuple[Any, ...]:
    """Settings, network, web3, operator account, artifacts."""
    from credit.compile import compile_contracts
    from credit.ops.networks import connect, operator_account, resolve_network
    from credit.settings import get_settings

    settings = get_settings()
    net = resolve_network(network, rpc_url, chain_id)
    w3 = connect(net, settings)
    return settings, net, w3, operator_account(w3, net, settings), compile_contracts()


def _system(network: str | None, rpc_url: str | None, chain_id: int | None) -> tuple[Any, Any]:
    """The deployed system on the network, and a transactor of the operator's key."""
    from credit.chain import Transactor
    from credit.ops.deploy import deployment_candidates, find_deployment, load_existing

    settings, net, w3, account, artifacts = _context(network, rpc_url, chain_id)
    system = load_existing(w3, find_deployment(net, settings), artifacts)
    if system is None:
        looked = " or ".join(str(p) for p in deployment_candidates(net, settings))
        raise CreditError(
            f"nothing is deployed on {net.name!r} (no {looked}): run "
            f"`credit deploy --network {net.name}`"
        )
    return system, Transactor(w3, account, system.decoder, gas=None if not net.dev else 3_000_000)


def _deployment_dir(net: Any, settings: Any) -> Path:
    """Where ``credit deploy`` looks for (and writes) the network's file: beside an existing one
    (the demo's, in the data directory), so that a deployed city is never deployed twice."""
    from credit.ops.deploy import DEPLOYMENTS_DIR, find_deployment

    found = find_deployment(net, settings)
    return found.parent if found.exists() and found.name == f"{net.name}.json" else DEPLOYMENTS_DIR


def _emit(data: Any, as_json: bool, render: Any = None) -> None:
    if as_json or render is None:
        print(json.dumps(data, indent=2, default=str))
    else:
        render(data)


def deploy(
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
    rules: Annotated[Path | None, typer.Option(help="rule-set file (default: settings)")] = None,
    admin: Annotated[
        str | None,
        typer.Option(help="hand DEFAULT_ADMIN_ROLE to this multisig; the deployer keeps no role"),
    ] = None,
    governor: Annotated[
        str | None, typer.Option(help="GOVERNOR_ROLE after the hand-off (default: --admin)")
    ] = None,
    registrar: Annotated[
        list[str] | None, typer.Option(help="REGISTRAR_ROLE holder (repeatable)")
    ] = None,
    minter: Annotated[
        list[str] | None, typer.Option(help="MINTER_ROLE holder, e.g. the gateway's minter key")
    ] = None,
    relayer: Annotated[
        str | None, typer.Option(help="the gateway's relayer address: refused as admin/governor")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan and gas, send nothing")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Deploy the whole system, grant the initial roles and publish the first rule set.

    Without --admin the deploying key stays admin and governor and also gets REGISTRAR_ROLE and
    MINTER_ROLE (a dev deployment). With --admin it hands over and keeps no role: name the
    registrar and minter keys with --registrar and --minter.
    """
    from credit.ops.deploy import deploy as do_deploy
    from credit.ruleset import load_ruleset

    settings, net, w3, account, artifacts = _context(network, rpc_url, chain_id)
    ruleset = load_ruleset(rules or settings.ruleset_file)
    own = [] if admin else [account.address]
    roles = {
        "REGISTRAR_ROLE": [*own, *(registrar or [])],
        "MINTER_ROLE": [*own, *(minter or [])],
    }
    outcome = do_deploy(
        w3,
        account,
        artifacts,
        ruleset,
        net,
        settings,
        roles={name: holders for name, holders in roles.items() if holders},
        admin=admin,
        governor=governor,
        relayer=relayer,
        dry_run=dry_run,
        directory=_deployment_dir(net, settings),
    )

    def render(d: dict[str, Any]) -> None:
        if d["status"] == "exists":
            console.print(
                f"Already deployed on {d['network']} (chain {d['chain_id']}): nothing to do."
            )
        table = Table(title=f"{d['status']} on {d['network']}")
        table.add_column("step")
        table.add_column("gas", justify="right")
        for s in d["steps"]:
            table.add_row(s["step"], f"{s['gas']:,}")
        if d["steps"]:
            table.add_row("total", f"{d['total_gas']:,}")
            console.print(table)
        if d["gas_price_wei"]:
            cost = d["total_gas"] * d["gas_price_wei"] / 10**18
            console.print(
                f"At the node's gas price ({d['gas_price_wei']} wei): about {cost:.6f} ETH."
            )
        for name, address in d["contracts"].items():
            console.print(f"{name}: {address}")

    _emit(outcome.as_dict(), json_output, render)


roles_app = typer.Typer(help="Grant, revoke and list roles.", no_args_is_help=True)


@roles_app.command("grant")
def roles_grant(
    role: str,
    account: str,
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
) -> None:
    """Grant ROLE (e.g. SUPERIOR_ROLE) to ACCOUNT on the ledger."""
    from credit.ops.admin import grant

    system, tx = _system(network, rpc_url, chain_id)
    console.print(f"granted {role} to {account}: {grant(system, tx, role, account)}")


@roles_app.command("revoke")
def roles_revoke(
    role: str,
    account: str,
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
) -> None:
    """Revoke ROLE from ACCOUNT on the ledger."""
    from credit.ops.admin import grant

    system, tx = _system(network, rpc_url, chain_id)
    console.print(f"revoked {role} from {account}: {grant(system, tx, role, account, revoke=True)}")


@roles_app.command("list")
def roles_list(
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Current role holders, from the contracts' event history."""
    from credit.chain.history import role_holders

    system, _ = _system(network, rpc_url, chain_id)
    holders = role_holders(system)

    def render(d: dict[str, list[str]]) -> None:
        for role, accounts in d.items():
            console.print(f"{role}: {', '.join(accounts)}")

    _emit(holders, json_output, render)


residents_app = typer.Typer(help="The resident register (addresses only).", no_args_is_help=True)


@residents_app.command("register")
def residents_register(
    csv_file: Path, network: NetworkOpt = None, rpc_url: RpcOpt = None, chain_id: ChainIdOpt = None
) -> None:
    """Register the addresses of CSV_FILE (one 'address' column); all rows are checked first."""
    from credit.ops.admin import read_resident_csv, register_residents

    system, tx = _system(network, rpc_url, chain_id)
    addresses = read_resident_csv(csv_file, lambda a: system.ledger.functions.isResident(a).call())
    with Progress(console=console) as bar:
        task = bar.add_task("registering", total=len(addresses))
        register_residents(system, tx, addresses, lambda n: bar.advance(task, n))
    console.print(f"registered {len(addresses)} residents")


rules_ops_app = typer.Typer(help="Publish rule sets.", no_args_is_help=True)


def rules_publish(
    path: Path,
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
    uri: Annotated[
        str,
        typer.Option(
            help="where the published text can be read (default: this gateway's "
            "/v1/public/rule-sets/<version>/document under CREDIT_PUBLIC_URL)"
        ),
    ] = "",
    yes: Annotated[bool, typer.Option("--yes", help="publish without asking")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Validate and fairness-check a rule set, show its diff and when it takes effect, publish."""
    from credit.ops.admin import document_uri_for_next, publish, rules_diff
    from credit.ruleset import load_ruleset
    from credit.settings import get_settings

    ruleset = load_ruleset(path)
    system, tx = _system(network, rpc_url, chain_id)
    diff = rules_diff(system, ruleset)
    if not json_output:
        console.print(
            f"Version in force: {diff['in_force']}; notice period {diff['notice_seconds']} s"
        )
        for change in diff["categories"]:
            console.print(
                f"  category {change['category']}: {change['change']} {change.get('fields', '')}"
            )
    if not yes and not json_output and not typer.confirm("Publish this rule set?"):
        raise typer.Exit(1)
    # by default the gateway serves the document, kept by hash: keep it there first
    uri = uri or document_uri_for_next(system, ruleset, get_settings())
    result = publish(system, tx, ruleset, uri)
    _emit(
        {**diff, "published": result},
        json_output,
        lambda d: console.print(
            f"published version {d['published']['version']}, "
            f"effective at {d['published']['effective_at']} (unix time)"
        ),
    )


def status(
    network: NetworkOpt = None,
    rpc_url: RpcOpt = None,
    chain_id: ChainIdOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Chain, contracts, versions, roles and counts."""
    from credit.ops.admin import status as get_status

    system, _ = _system(network, rpc_url, chain_id)
    _emit(get_status(system), json_output, lambda d: console.print_json(json.dumps(d, default=str)))


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
    import os

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
    path.write_text(json.dumps(Account.encrypt(account.key, password)), encoding="utf-8")
    path.chmod(0o600)
    console.print(f"new key {account.address} saved to {path} (mode 600)")
