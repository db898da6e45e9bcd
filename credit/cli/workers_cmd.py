"""``credit relay run`` and ``credit index run``: the gateway's workers, each a process of its
own for an operator's service manager (:mod:`credit.workers`)."""

from __future__ import annotations

import logging

import typer

from credit.cli.netopts import NodeArgs, grouped
from credit.gateway.services import Services

relay_app = typer.Typer(help="The relay worker (one per relayer key).", no_args_is_help=True)
index_app = typer.Typer(help="The indexer worker (one per database).", no_args_is_help=True)


def _services(node: NodeArgs) -> Services:
    from credit.compose import build_services
    from credit.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    return build_services(settings, node.resolve(settings))


@relay_app.command("run")
@grouped
def relay_run(node: NodeArgs) -> int:
    """Relay the claims the API processes accepted: plan batches, sign them with this
    process's relayer key, send them and settle them. One copy per key runs at a time (a
    second one waits for the first's lease); a killed copy's successor resumes its outbox."""
    from credit.workers import relay_job, relay_parts, run_job

    services = _services(node)
    return run_job(services, relay_job(services), relay_parts(services))


@index_app.command("run")
@grouped
def index_run(node: NodeArgs) -> int:
    """Index the ledger's events, pay the reward runs and settle verification periods. One
    copy runs at a time (a second one waits for the first's lease)."""
    from credit.workers import INDEX_JOB, index_parts, run_job

    services = _services(node)
    return run_job(services, INDEX_JOB, index_parts(services))
