"""The gateway benchmark's throughput phases on the embedded chain (eth-tester, py-evm).

The embedded chain lives in the process that uses it, so here the gateway does too: uvicorn
serves it on a loopback port from a thread of the benchmark's process (real HTTP, as
``credit serve`` with the embedded chain), and the client threads, the chain and the gateway
share one interpreter. The same city (fewer residents: py-evm executes every transaction in
Python), the same relayed sweep over claims per request, and the same two plain-web3 baselines
on the same chain, so that the ratios compare like with like.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from bench._gateway_city import City
from bench._gateway_raw import headline, relay_batches
from bench._gateway_relayed import relay_through_gateway
from bench._gateway_server import settings_for, wait_caught_up, wait_healthy
from credit import compile as solc
from credit.chain import embedded_web3
from credit.compose import wire
from credit.gateway.app import create_app
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from tests.support.anvil import free_port


@contextmanager
def embedded_gateway(city: City, workdir: Path, batch: int, window: float) -> Iterator[str]:
    """The gateway on ``city``'s embedded chain, served from a thread; yields its base URL."""
    port = free_port()
    settings = settings_for(workdir, "embedded", port, batch, window)
    services = wire(settings, city.system, load_ruleset(DEFAULT_RULESET))
    config = uvicorn.Config(
        create_app(services), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="embedded-gateway", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, thread.is_alive, "the embedded gateway")
        yield base
    finally:
        server.should_exit = True
        thread.join(30)


def embedded_throughput(args: argparse.Namespace) -> dict[str, Any]:
    """Relayed (each claims-per-request size), ceiling and one-tx on eth-tester."""
    w3 = embedded_web3()
    city = City(w3, solc.compile_contracts(), load_ruleset(DEFAULT_RULESET), args.et_residents)
    city.register()
    print(f"embedded chain: {args.et_residents:,} residents registered", flush=True)
    sweep = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        embedded_gateway(city, Path(tmp), args.batch, args.window) as base,
    ):
        for bulk in args.bulk:
            wait_caught_up(Path(tmp) / "gateway.sqlite", int(w3.eth.block_number))
            print(
                f"embedded: relaying {args.et_relayed:,} records ({bulk} claims per request, "
                f"relay batches of {args.batch}) ...",
                flush=True,
            )
            relayed = relay_through_gateway(
                city, base, city.records(args.et_relayed), args.batch, args.concurrency, bulk
            )
            relayed["relay_batch_size"] = args.batch
            print(f"  {relayed}", flush=True)
            sweep.append(relayed)
        direct = city.accounts["direct"]
        ceiling = relay_batches(city, direct, city.records(args.et_raw), args.batch)
        print(f"embedded: plain web3, batches of {args.batch}: {ceiling}", flush=True)
        single = relay_batches(city, direct, city.records(args.et_single), 1)
        print(f"embedded: plain web3, one tx per record: {single}", flush=True)
    best = max(sweep, key=lambda r: r["records_per_s"])
    return {
        **headline(best["records_per_s"], ceiling["records_per_s"], single["records_per_s"]),
        "best_claims_per_request": best["claims_per_request"],
        "relayed_sweep": sweep,
        "ceiling": ceiling,
        "one_tx": single,
        "residents": args.et_residents,
        "node": "eth-tester (py-evm) in the benchmark's process, gateway served from a thread",
    }
