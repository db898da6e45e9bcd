"""``credit relay run`` and ``credit index run``: the gateway's workers, each a process of its
own for an operator's service manager (:mod:`credit.workers`)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from credit.gateway.services import Services

relay_app = typer.Typer(help="The relay worker (one per relayer key).", no_args_is_help=True)
index_app = typer.Typer(help="The indexer worker (one per database).", no_args_is_help=True)

Network = Annotated[str | None, typer.Option("--network", "-n", help="deployed network")]


def _services(network: str | None) -> Services:
    from credit.compose import build_services
    from credit.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_services(get_settings(), network)


@relay_app.command("run")
def relay_run(network: Network = None) -> int:
    """Relay the claims the API processes accepted: plan batches, sign them with this
    process's relayer key, send them and settle them. One copy per key runs at a time (a
    second one waits for the first's lease); a killed copy's successor resumes its outbox."""
    from credit.workers import relay_job, relay_parts, run_job

    services = _services(network)
    return run_job(services, relay_job(services), relay_parts(services))


@index_app.command("run")
def index_run(network: Network = None) -> int:
    """Index the ledger's events, pay the reward runs and settle verification periods. One
    copy runs at a time (a second one waits for the first's lease)."""
    from credit.workers import INDEX_JOB, index_parts, run_job

    services = _services(network)
    return run_job(services, INDEX_JOB, index_parts(services))
