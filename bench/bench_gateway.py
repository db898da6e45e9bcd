"""Gateway benchmark: relaying throughput against two plain-web3 baselines, and read load.

``python -m bench.bench_gateway`` (``make bench-gateway``) starts anvil from the npm package on a
free loopback port (stopped by PID at the end), deploys the system with 10,000 registered
residents, a superior and an expert, and serves the gateway from its own process (uvicorn, real
HTTP on 127.0.0.1). In that one run it measures:

- ``relayed_records_per_s``: claims and confirmations POSTed over HTTP, until every record is
  credited on chain (:mod:`bench._gateway_relayed`);
- ``raw_batch_ceiling_per_s``: the same kind of records sent by a plain web3 script in
  ``relayClaims`` batches of the gateway's batch size; ``one_tx_per_record_per_s``: one
  ``relayClaims`` transaction per record (:mod:`bench._gateway_raw`);
- ``read_rps``, ``read_p50_ms``, ``read_p99_ms``: ``GET /v1/residents/{a}`` and
  ``GET /v1/residents/{a}/notices``, each with resident ``a``'s own token, rotating over all
  10,000 residents, from a separate process (wrk, else an asyncio client) after a warm-up
  (:mod:`bench._gateway_reads`).

Goals (reported, not enforced): relayed >= 50% of the ceiling and >= 10x one-tx-per-record;
reads >= 1,000 requests/s with p50 <= 5 ms. Session tokens for the read load are written to the
gateway's session table directly (10,000 SIWE sign-ins are not what is measured); one real
SIWE sign-in over HTTP checks that path first. Prints a table and writes
``bench/results/gateway.json``; ``--profile DIR`` samples the gateway with py-spy if installed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._gateway_city import City
from bench._gateway_raw import relay_batches
from bench._gateway_reads import run_load, seed_sessions, wait_indexed, write_targets
from bench._gateway_relayed import relay_through_gateway
from bench._gateway_server import cpu_seconds, gateway, profiled
from bench._gateway_siwe import sign_in
from bench.bench_gas import git_commit
from credit import compile as solc
from credit.chain import rpc_web3
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from tests.anvil import anvil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gateway.json"
ANVIL_ARGS = ("--gas-limit", "100000000", "--prune-history", "256")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every phase, in one anvil and one gateway process; the results document."""
    artifacts, ruleset = solc.compile_contracts(), load_ruleset(DEFAULT_RULESET)
    started = time.perf_counter()
    with anvil(*ANVIL_ARGS) as url, tempfile.TemporaryDirectory() as tmp:
        w3 = rpc_web3(url, timeout=120)
        city = City(w3, artifacts, ruleset, args.residents)
        registered = city.register()
        print(
            f"deployed; {args.residents:,} residents registered in {registered:.1f} s", flush=True
        )
        workdir = Path(tmp)
        city.system.record.save(workdir / "deployment.json")
        with gateway(url, workdir, args.batch, args.window) as (base, pid):
            phases = throughput(args, city, base, pid)
            phases["reads"], phases["reads_saturated"] = reads(args, city, base, pid, workdir)
    return document(args, phases, time.perf_counter() - started)


def throughput(args: argparse.Namespace, city: City, base: str, pid: int) -> dict[str, Any]:
    """Relayed through the gateway, then the two plain-web3 baselines, on the same chain."""
    print(f"relaying {args.relayed:,} records through the gateway ...", flush=True)
    cpu = cpu_seconds(pid)
    with profiled(args.profile, pid, "relayed"):
        relayed = relay_through_gateway(
            city, base, city.records(args.relayed), args.batch, args.concurrency
        )
    relayed["gateway_cpu_share"] = round((cpu_seconds(pid) - cpu) / relayed["seconds"], 2)
    print(f"  {relayed}", flush=True)
    direct = city.accounts["direct"]
    ceiling = relay_batches(city, direct, city.records(args.raw), args.batch)
    print(f"plain web3, batches of {args.batch}: {ceiling}", flush=True)
    single = relay_batches(city, direct, city.records(args.single), 1)
    print(f"plain web3, one tx per record: {single}", flush=True)
    return {"relayed": relayed, "ceiling": ceiling, "one_tx": single}


def reads(
    args: argparse.Namespace, city: City, base: str, pid: int, workdir: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read load at ``--connections`` (the measured keys), then at ``--saturate`` connections."""
    token = sign_in(base, city.keys[0], city.addresses[0])  # one real SIWE sign-in
    tokens = seed_sessions(workdir / "gateway.sqlite", city.addresses[1:])
    tokens[city.addresses[0]] = token
    wait_indexed(base, city.addresses[0], token, int(city.w3.eth.block_number))
    targets = workdir / "targets.tsv"
    write_targets(targets, tokens)
    port = int(base.rsplit(":", 1)[1])
    print(f"read load ({args.connections} connections), after a warm-up ...", flush=True)
    run_load(port, targets, args.warmup, args.connections, workdir)
    cpu = cpu_seconds(pid)
    with profiled(args.profile, pid, "reads"):
        measured = run_load(port, targets, args.read_seconds, args.connections, workdir)
    measured["gateway_cpu_share"] = round((cpu_seconds(pid) - cpu) / measured["seconds"], 2)
    print(f"  {measured}", flush=True)
    saturated = run_load(port, targets, args.read_seconds / 2, args.saturate, workdir)
    print(f"  at {args.saturate} connections: {saturated}", flush=True)
    for result in (measured, saturated):
        if result["non_2xx"] or result["socket_errors"]:
            raise RuntimeError(f"read load had failures: {result}")
    return measured, saturated


def document(args: argparse.Namespace, phases: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The results file's content: the measured keys, their ratios and goals, the details."""
    relayed, ceiling, single, reads = (phases[k] for k in ("relayed", "ceiling", "one_tx", "reads"))
    r, c, o = relayed["records_per_s"], ceiling["records_per_s"], single["records_per_s"]
    return {
        "relayed_records_per_s": r,
        "raw_batch_ceiling_per_s": c,
        "one_tx_per_record_per_s": o,
        "relayed_vs_ceiling": round(r / c, 3),
        "relayed_vs_one_tx": round(r / o, 2),
        "read_rps": reads["rps"],
        "read_p50_ms": reads["p50_ms"],
        "read_p99_ms": reads["p99_ms"],
        "goals": {
            "relayed_vs_ceiling >= 0.5": r / c >= 0.5,
            "relayed_vs_one_tx >= 10": r / o >= 10,
            "read_rps >= 1000": reads["rps"] >= 1000,
            "read_p50_ms <= 5": reads["p50_ms"] <= 5,
        },
        "details": phases,
        "meta": {
            "node": f"anvil (npm package, automine) {' '.join(ANVIL_ARGS)}",
            "residents": args.residents,
            "batch_size": args.batch,
            "batch_window_seconds": args.window,
            "read_mix": "GET /v1/residents/{a} and /v1/residents/{a}/notices, 1:1, own token",
            "read_warmup_seconds": args.warmup,
            "bench_seconds": round(seconds, 1),
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        },
    }


def table(doc: dict[str, Any]) -> str:
    """The printed summary."""
    g = doc["goals"]
    rows = [
        ("relayed_records_per_s", doc["relayed_records_per_s"], "end to end, via HTTP"),
        ("raw_batch_ceiling_per_s", doc["raw_batch_ceiling_per_s"], "plain web3 batches"),
        ("one_tx_per_record_per_s", doc["one_tx_per_record_per_s"], "plain web3, 1 tx/record"),
        ("relayed / ceiling", doc["relayed_vs_ceiling"], _goal(g, "relayed_vs_ceiling >= 0.5")),
        ("relayed / one-tx", doc["relayed_vs_one_tx"], _goal(g, "relayed_vs_one_tx >= 10")),
        ("read_rps", doc["read_rps"], _goal(g, "read_rps >= 1000")),
        ("read_p50_ms", doc["read_p50_ms"], _goal(g, "read_p50_ms <= 5")),
        ("read_p99_ms", doc["read_p99_ms"], ""),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{k:<{width}}  {v:>10}  {note}" for k, v, note in rows)


def _goal(goals: dict[str, bool], key: str) -> str:
    return f"goal {key}: {'met' if goals[key] else 'NOT met'}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_gateway", description=__doc__)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--relayed", type=int, default=2_000, help="records via the gateway")
    parser.add_argument("--raw", type=int, default=4_000, help="records in plain web3 batches")
    parser.add_argument("--single", type=int, default=300, help="records, one tx each")
    parser.add_argument("--batch", type=int, default=100, help="records per relayClaims")
    parser.add_argument("--window", type=float, default=0.05, help="batch window (s)")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP client threads")
    parser.add_argument("--connections", type=int, default=4, help="read load connections")
    parser.add_argument(
        "--saturate", type=int, default=16, help="connections of the second (saturation) read run"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="read warm-up (s)")
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--profile", type=Path, help="py-spy the gateway into this directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.residents < 2 or args.relayed > args.residents:
        print("need at least 2 residents, and no more records via the gateway than residents")
        return 2
    doc = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(table(doc))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
