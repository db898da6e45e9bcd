"""Operator commands: deploy, roles, residents, rules, status (thin wrappers over credit.ops)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from credit.cli.netopts import (
    JsonOpt,
    NodeArgs,
    OperatorArgs,
    context,
    deployed,
    emit,
    grouped,
    system,
)
from credit.errors import CreditError

console = Console(soft_wrap=True)


def _deployment_dir(net: Any, settings: Any) -> Path:
    """Where ``credit deploy`` looks for (and writes) the network's file: beside an existing one
    (the demo's, in the data directory), so that a deployed city is never deployed twice."""
    from credit.ops.deploy import find_deployment

    found = find_deployment(net, settings)
    if found.exists() and found.name == f"{net.name}.json":
        return found.parent
    return Path(settings.deployments_dir)


def _grants(pairs: list[str] | None) -> dict[str, list[str]]:
    """``ROLE=ADDRESS`` pairs (``SUPERIOR=0x..``) as role -> checksummed holders."""
    from credit.ops.admin import normalise_address, role_name

    out: dict[str, list[str]] = {}
    for pair in pairs or []:
        role, sep, address = pair.partition("=")
        if not sep:
            raise CreditError(f"--grant {pair!r}: write ROLE=ADDRESS, e.g. SUPERIOR_ROLE=0x...")
        out.setdefault(role_name(role), []).append(normalise_address(address, f"--grant {role}"))
    return out


@grouped
def deploy(
    operator: OperatorArgs,
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
    grants: Annotated[
        list[str] | None,
        typer.Option(
            "--grant",
            help="ROLE=ADDRESS, any ledger role (SUPERIOR_ROLE=0x.., EXPERT=0x..; repeatable)",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan and gas, send nothing")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Deploy the whole system, grant the initial roles and publish the first rule set.

    Without --admin the deploying key stays admin and governor and also gets REGISTRAR_ROLE and
    MINTER_ROLE (a dev deployment). With --admin it hands over and keeps no role: name the
    registrar and minter keys with --registrar and --minter, the officials with --grant.
    """
    from credit.ops.admin import normalise_address
    from credit.ops.deploy import deploy as do_deploy
    from credit.ruleset import load_ruleset

    settings, net, w3, account, artifacts = context(operator)
    ruleset = load_ruleset(rules or settings.ruleset_file)
    own = [] if admin else [account.address]
    roles = _grants(grants)
    for role, named in (("REGISTRAR_ROLE", registrar), ("MINTER_ROLE", minter)):
        holders = [*own, *(normalise_address(a, f"--{role[:-5].lower()}") for a in named or [])]
        roles[role] = [*holders, *roles.get(role, [])]
    admin, governor, relayer = (
        normalise_address(a, label) if a else None
        for a, label in ((admin, "--admin"), (governor, "--governor"), (relayer, "--relayer"))
    )
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
        if d["status"] != "planned":
            console.print(f"Deployment file: {d['deployment_file']}", highlight=False)
        if d["status"] == "deployed":
            keys = " ".join(a for a in (relayer, *(minter or [])) if a) or "RELAYER MINTER"
            console.print(
                "Next: fund the gateway's keys (`credit fund "
                f"{keys} --network {net.name}`) and start it (`credit serve --network "
                f"{net.name}`).",
                markup=False,
                highlight=False,
            )

    emit(outcome.as_dict(), json_output, render)


roles_app = typer.Typer(help="Grant, revoke and list roles.", no_args_is_help=True)


def _change_roles(role: str, accounts: list[str], revoke: bool, operator: OperatorArgs) -> None:
    from credit.ops.admin import grant, normalise_address, role_name

    role = role_name(role)  # every argument is checked before anything is sent
    checked = [normalise_address(a) for a in accounts]
    found, tx = system(operator)
    for account in checked:
        done = grant(found, tx, role, account, revoke=revoke)
        what = f"revoked {role} from" if revoke else f"granted {role} to"
        console.print(f"{what} {account}: {done}", highlight=False)


@roles_app.command("grant")
@grouped
def roles_grant(role: str, accounts: list[str], operator: OperatorArgs) -> None:
    """Grant ROLE (SUPERIOR_ROLE, or SUPERIOR) to each ACCOUNT on the ledger (admin key)."""
    _change_roles(role, accounts, False, operator)


@roles_app.command("revoke")
@grouped
def roles_revoke(role: str, accounts: list[str], operator: OperatorArgs) -> None:
    """Revoke ROLE from each ACCOUNT on the ledger (admin key)."""
    _change_roles(role, accounts, True, operator)


@roles_app.command("list")
@grouped
def roles_list(node: NodeArgs, json_output: JsonOpt = False) -> None:
    """Current role holders, from the contracts' event history."""
    from credit.chain.history import role_holders

    found, _ = system(node, signing=False)
    holders = role_holders(found)

    def render(d: dict[str, list[str]]) -> None:
        for role, accounts in d.items():
            console.print(f"{role}: {', '.join(accounts)}")

    emit(holders, json_output, render)


residents_app = typer.Typer(help="The resident register (addresses only).", no_args_is_help=True)


@residents_app.command("register")
@grouped
def residents_register(csv_file: Path, operator: OperatorArgs) -> None:
    """Register the addresses of CSV_FILE (one 'address' column; any case, or a valid EIP-55
    checksum); every row is checked first, and one bad row means nothing is registered."""
    from credit.ops.admin import read_resident_csv, register_residents

    found, tx = system(operator)
    addresses = read_resident_csv(csv_file, lambda a: found.ledger.functions.isResident(a).call())
    with Progress(console=console) as bar:
        task = bar.add_task("registering", total=len(addresses))
        register_residents(found, tx, addresses, lambda n: bar.advance(task, n))
    console.print(f"registered {len(addresses)} residents")


rules_ops_app = typer.Typer(help="Publish rule sets.", no_args_is_help=True)


@grouped
def rules_publish(
    path: Path,
    operator: OperatorArgs,
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
    found, tx = system(operator)
    diff = rules_diff(found, ruleset)
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
    uri = uri or document_uri_for_next(found, ruleset, get_settings())
    result = publish(found, tx, ruleset, uri)
    emit(
        {**diff, "published": result},
        json_output,
        lambda d: console.print(
            f"published version {d['published']['version']}, "
            f"effective at {d['published']['effective_at']} (unix time)"
        ),
    )


@grouped
def status(node: NodeArgs, json_output: JsonOpt = False) -> None:
    """Chain, contracts, versions, roles and counts (JSON with --json)."""
    from credit.ops.admin import status as get_status
    from credit.ops.networks import connect

    settings = node.settings()
    net = node.resolve(settings)
    found, path = deployed(connect(net, settings), net, settings)
    data = {
        **get_status(found),
        "deployment_file": str(path.resolve()),
        "data_dir": str(Path(settings.data_dir).resolve()),
    }
    emit(data, json_output, _render_status)


def _render_status(d: dict[str, Any]) -> None:
    say = lambda text: console.print(text, markup=False, highlight=False)  # noqa: E731
    say(f"Network {d['network']} (chain {d['chain_id']}), block {d['block']:,}")
    say(f"Deployment file: {d['deployment_file']}")
    say(f"Data directory:  {d['data_dir']}")
    for name, c in d["contracts"].items():
        say(f"{name + ':':<14}{c['address']}  (version {c['version']})")
    r = d["rules"]
    pending = (
        f"; version {r['pending']} takes effect at {r['pending_effective_at']} (unix time)"
        if r["pending"]
        else ""
    )
    say(f"Rule set: version {r['in_force']} in force{pending}; epoch {d['epoch']}")
    say("Roles:")
    for role, holders in d["roles"].items():
        say(f"  {role}: {', '.join(holders) if holders else '(none)'}")
    say("Counts: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in d["counts"].items()))
