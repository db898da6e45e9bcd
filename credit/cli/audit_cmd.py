"""``credit audit``: recompute the whole ledger from a node and a deployment file, and compare.

Exit codes: 0 when the chain agrees with every recomputation, 1 when anything disagrees (each
discrepancy is named with its evidence), 2 when the audit could not run (bad options or files,
no node at the URL, another chain, the node failing the replay). ``credit.cli.main`` turns errors
into exit codes and drops a ``typer.Exit``'s code, so the command raises :class:`AuditDisagrees`
or :class:`AuditCouldNotRun`, which carry their code like click's usage errors and print their
message on stderr (stdout stays pure JSON with ``--json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from credit.errors import CreditError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

RATE_LIMIT_PATIENCE = 65.0  # seconds one request may wait for a rate limit (a minute's window)


def _file_option(name: str, help: str) -> Any:
    """An option naming a file that must exist and be readable."""
    return typer.Option(name, help=help, exists=True, dir_okay=False, readable=True)


class _Outcome(Exception):
    """An audit outcome with an exit code, shown on stderr (see the module docstring)."""

    exit_code = 1
    prefix = ""

    def show(self) -> None:
        err_console.print(f"{self.prefix} {self}")


class AuditDisagrees(_Outcome):
    """The chain disagrees with the recomputation (exit code 1); the report names each point."""

    exit_code = 1
    prefix = "[red]audit failed:[/red]"


class AuditCouldNotRun(_Outcome):
    """Bad options or inputs, or no usable node: the audit did not run (exit code 2)."""

    exit_code = 2
    prefix = "[red]audit could not run:[/red]"


def _fail(message: str) -> AuditCouldNotRun:
    return AuditCouldNotRun(message)


def _inputs(
    deployment: Path, rules: list[Path], notices: Path | None
) -> tuple[Any, list[tuple[Path, Any]], Any]:
    from credit.audit.notices_compare import parse_export
    from credit.chain.deploy import DeploymentRecord
    from credit.ruleset import load_ruleset

    try:
        record = DeploymentRecord.from_json(deployment.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(f"{deployment} is not a deployment file ({exc})") from exc
    try:
        files = [(p, load_ruleset(p, published=True)) for p in rules]  # judged on chain
        export = parse_export(notices.read_bytes()) if notices else None
    except CreditError as exc:
        raise _fail(str(exc)) from exc
    return record, files, export


def _progress(enabled: bool) -> tuple[Progress, Any]:
    bar = Progress(
        TextColumn("replaying blocks"),
        BarColumn(),
        TextColumn(
            "{task.completed:,.0f}/{task.total:,.0f} blocks, {task.fields[events]:,} events"
        ),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled,
    )
    task = bar.add_task("replay", total=1, events=0)

    def update(done: int, total: int, events: int) -> None:
        bar.update(task, completed=done, total=total, events=events)

    return bar, update


def audit(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="JSON-RPC URL of a node")],
    deployment: Annotated[
        Path,
        _file_option("--deployment", help="deployment file (deployments/<network>.json)"),
    ],
    rules: Annotated[
        list[Path] | None,
        _file_option(
            "--rules", help="rule-set file to verify against the on-chain hashes (repeatable)"
        ),
    ] = None,
    notices: Annotated[
        Path | None,
        _file_option("--notices", help="the gateway's notices export (JSON) to compare"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="write report.json and report.html here")
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="resumable replay cache directory")
    ] = None,
    block: Annotated[
        int | None, typer.Option("--block", help="audit at this block (default: the head)")
    ] = None,
    window: Annotated[
        int, typer.Option("--window", min=1, help="first log-query window in blocks (adapts)")
    ] = 5_000,
    poa: Annotated[bool, typer.Option("--poa", help="proof-of-authority chain headers")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print the JSON report")] = False,
) -> None:
    """Recompute credit, quorums, caps, rules, appeals, rewards and notices from the chain alone."""
    from credit.audit.replay import read_chain
    from credit.audit.report import build_report, write_reports
    from credit.audit.run import run_checks
    from credit.chain.deploy import attach
    from credit.chain.node import rpc_web3
    from credit.compile import compile_contracts

    record, files, export = _inputs(deployment, rules or [], notices)
    started = time.perf_counter()
    try:
        artifacts = compile_contracts()
        # a public endpoint (the gateway's /rpc) rate-limits: wait as it asks, a minute at most
        w3 = rpc_web3(rpc_url, poa=poa, timeout=120, patience=RATE_LIMIT_PATIENCE)
        system = attach(w3, record, artifacts)
        bar, update = _progress(not json_output)
        with bar:
            data = read_chain(
                system, artifacts, block=block, cache_dir=cache, progress=update, window=window
            )
        notices_input = None if export is None else _notices_at(system, export, data.block)
    except CreditError as exc:
        raise _fail(str(exc)) from exc
    replayed = time.perf_counter() - started
    result = run_checks(data, files, notices_input)
    seconds = time.perf_counter() - started
    report = build_report(
        result,
        timing={"replay_seconds": round(replayed, 3), "total_seconds": round(seconds, 3)},
        replay=data.replay,
    )
    if out is not None:
        json_path, html_path = write_reports(report, out)
        if not json_output:
            console.print(f"Reports: {json_path} and {html_path}")
    if json_output:
        print(json.dumps(report, indent=2))
    else:
        _say(report)
    if not result.clean:
        raise AuditDisagrees(
            f"{result.found.total} discrepancy(ies) at block {data.block}: see the report"
        )


def _notices_at(system: Any, export: Any, audited: int) -> Any:
    """The block a notices export is recomputed at: the one it names, else the newest block at
    its notices' time (``created_at`` is the time of the block the gateway computed them at)."""
    from credit.audit.run import NoticesInput
    from credit.chain.rpc_reads import reader_for

    reader = reader_for(system)
    at = export.as_of_block
    if at is None:
        created = export.created_at
        start = system.record.start_block
        at = audited if created is None else reader.block_at_or_before(created, start, audited)
    header = reader.headers([at])[at]
    if header is None or at > audited:
        raise _fail(f"the notices export names block {at}, which the audit did not reach")
    return NoticesInput(export, at, header.timestamp)


def _say(report: dict[str, Any]) -> None:
    s = report["summary"]
    console.print(
        f"Audited block {report['audited']['block']}: {report['audited']['events']:,} events, "
        f"{s['records_credited']:,} credits, {s['violations']:,} violations, "
        f"{s['residents']:,} residents, {s['signatures_recovered']:,} signatures recovered "
        f"in {report['timing']['total_seconds']} s."
    )
    for w in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {w}")
    if report["clean"]:
        console.print("[green]Clean:[/green] the chain agrees with every recomputation.")
        return
    console.print(f"[red]{s['discrepancies']} discrepancy(ies):[/red]")
    for d in report["discrepancies"]:
        where = ", ".join(
            f"tx {e['tx_hash']} block {e['block_number']} log {e['log_index']}"
            for e in d["evidence"][:3]
        )
        console.print(
            f"  [bold]{d['code']}[/bold]: {d['message']}" + (f" ({where})" if where else "")
        )
