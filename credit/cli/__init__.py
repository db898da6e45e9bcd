"""The ``credit`` command: operators' entry point (``credit --help``, also ``python -m credit``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from credit.errors import CreditError

app = typer.Typer(
    help="Consensus Credit: ledger, rules and demo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Rule sets: validate and hash.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
console = Console(soft_wrap=True)

from credit.cli import audit_cmd, operate  # noqa: E402  (commands register on the apps above)

app.command("deploy")(operate.deploy)
app.command("status")(operate.status)
app.add_typer(operate.roles_app, name="roles")
app.add_typer(operate.residents_app, name="residents")
from credit.cli import keys_cmd  # noqa: E402

app.add_typer(keys_cmd.keys_app, name="keys")
app.command("fund")(keys_cmd.fund)
from credit.cli.serve_cmd import bound_to, serve_cmd  # noqa: E402

app.command("serve")(serve_cmd)
rules_app.command("publish")(operate.rules_publish)
app.command("audit")(audit_cmd.audit)
from credit.cli import verify_cmd  # noqa: E402, F401  (registers `credit verify`)
from credit.cli.evidence_cmd import evidence_app  # noqa: E402

app.add_typer(evidence_app, name="evidence")
from credit.cli.workers_cmd import index_app, relay_app  # noqa: E402

app.add_typer(relay_app, name="relay")
app.add_typer(index_app, name="index")
from credit.cli.zk_cmd import zk_app  # noqa: E402

app.add_typer(zk_app, name="zk")


@app.command()
def demo(
    json_output: Annotated[bool, typer.Option("--json", help="print balances as JSON")] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the gateway and web client")
    ] = True,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """The main job: a demo city on a persistent embedded chain, its gateway and web client.

    The first run deploys and seeds a few weeks of city life in CREDIT_DATA_DIR (default var/);
    later runs resume it. ``--no-serve`` plays the scenario on a throw-away chain and exits.
    """
    from credit.compile import compile_contracts
    from credit.demo import run_demo
    from credit.ruleset import load_ruleset
    from credit.settings import get_settings

    settings = bound_to(get_settings(), host, port)
    ruleset = load_ruleset(settings.ruleset_file)
    say = (lambda _msg: None) if json_output else console.print
    artifacts = compile_contracts()
    if not serve:
        rows = run_demo(artifacts, ruleset, settings, say=say).balances()
    else:
        from credit.compose import wire
        from credit.serve import prepare_demo
        from credit.serve import serve as run_server

        system, people = prepare_demo(settings, artifacts, ruleset, say)
        from credit.demo import DemoResult

        rows = DemoResult(system, people[6:]).balances()
    if json_output:
        print(
            json.dumps(
                [
                    {"name": n, "address": a, "credit": c, "reward_wei": str(t)}
                    for n, a, c, t in rows
                ]
            )
        )
    else:
        table = Table(
            title="Residents' credit (names are demo pseudonyms; only addresses are on chain)"
        )
        for col in ("resident", "address", "credit", "reward (CCR)"):
            table.add_column(col, justify="right" if col in ("credit", "reward (CCR)") else "left")
        for name, address, credit, tokens in rows:
            table.add_row(name, address, str(credit), f"{tokens / 10**18:.2f}")
        print_table(table)
    if not serve:
        return
    if not json_output:
        from credit.demo import demo_wallets

        wallets = Table(
            title="Demo wallets and their roles (throw-away keys: import one into a browser "
            "wallet, e.g. MetaMask > Add account > Import account, then sign in on the page)"
        )
        for col in ("who", "role", "address", "key"):
            wallets.add_column(col, overflow="fold")
        for w in demo_wallets(people, settings):
            wallets.add_row(w.name, w.roles, w.address, w.key)
        print_table(wallets)
        console.print(
            f"Gateway and web client: http://{host}:{port}/  (API under /v1; Ctrl-C stops)"
        )
        from credit.serve import audit_command

        console.print("Audit this city while it runs (read-only, through the gateway's /rpc):")
        console.print(audit_command(settings, host, port), markup=False, highlight=False)
        from credit.demo_verify import open_period_message

        console.print(open_period_message(system) or "No period is open for verification now")
        from credit.demo_zk import private_proofs_message

        console.print(private_proofs_message(system) or "No private-proof gate is deployed")
    run_server(wire(settings, system, ruleset), host, port)


def print_table(table: Table) -> None:
    """Print ``table``; into a pipe or file at its full width, so no address or key is cut
    (a terminal's width is not there to respect, and rich would assume 80 columns)."""
    wide = console if console.is_terminal else Console(file=console.file, width=UNCUT_WIDTH)
    wide.print(table)


UNCUT_WIDTH = 1000  # wider than any table: one not expanded takes only what it needs


@rules_app.command("check")
def rules_check(path: Path) -> None:
    """Validate a rule-set file and print its canonical hash (what is published on chain)."""
    from credit.ruleset import load_ruleset

    rs = load_ruleset(path)
    console.print(
        f"{path}: valid, {len(rs.categories)} categories, hash 0x{rs.content_hash().hex()}"
    )


@app.command("compile")
def compile_cmd(
    force: Annotated[bool, typer.Option(help="recompile even if unchanged")] = False,
) -> None:
    """Compile the contracts (cached in build/)."""
    from credit.compile import compile_contracts

    arts = compile_contracts(force=force, shipped=False)
    console.print(f"{len(arts)} artifacts in build/contracts")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the one place that turns errors into messages and exit codes."""
    try:
        # without standalone mode, `raise typer.Exit(n)` inside a command comes back as n
        result = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except CreditError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    except ValidationError as exc:  # the CREDIT_* settings, read on first use
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        console.print(f"[red]error in the CREDIT_* settings:[/red] {problems}")
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except Exception as exc:  # usage errors from Typer's bundled click carry show()/exit_code
        code = getattr(exc, "exit_code", None)
        if hasattr(exc, "show") and isinstance(code, int):
            exc.show()
            return code
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
