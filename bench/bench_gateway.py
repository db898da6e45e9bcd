"""Gateway benchmark on the production shape: relaying against two plain-web3 baselines, reads
against the framework's floor.

``python -m bench.bench_gateway`` (``make bench-gateway``; ``--quick`` for a smoke run) starts
anvil from the npm package on a free loopback port, makes a PostgreSQL database ``bench_<random>``
on 127.0.0.1:5432 (dropped at the end), deploys the system and runs the gateway as an operator
does (:mod:`bench._gateway_shape`): ``credit index run``, ``credit relay run`` with K = ``--keys``
relayer keys, and ``--apis`` API processes (``credit serve`` with ``CREDIT_RUN_WORKERS=false``,
uvicorn on a port each). The load comes from other processes: this one's client threads for the
writes, one ``wrk`` per API port for the reads. The city grows through ``--residents`` (default
10,000 then 100,000; ``registerResidents`` in batches of 1,000 on the same chain, indexed before
measuring) and at each size the run measures:

- ``relayed_records_per_s``: claims and confirmations POSTed over HTTP to the API processes in
  turn, until every record is credited on chain (:mod:`bench._gateway_relayed`), for each
  claims-per-request size of ``--bulk`` (1: ``POST /v1/claims``; 10, 100: ``POST
  /v1/claims/batch``, a kiosk uploading claims its residents signed); the headline is the fastest;
- ``raw_batch_ceiling_per_s``: the same kind of records sent by a plain web3 script in
  ``relayClaims`` batches of ``--batch``; ``one_tx_per_record_per_s``: one ``relayClaims``
  transaction per record (:mod:`bench._gateway_raw`);
- reads: ``GET /v1/residents/{a}`` and ``GET /v1/residents/{a}/notices``, each with resident
  ``a``'s own token, rotating over every resident of the city, from ``--connections`` (32)
  connections at once, after a warm-up (:mod:`bench._gateway_reads`); then ``floor_rps``: the
  same wrk processes and connections on ``GET /v1/health`` through the same API processes (the
  framework's own floor);
- the cores each process used in each phase (``cpu_share``), to say where the time goes.

The headline keys come from the largest city: ``read_rps_100k``, ``read_p50_ms_100k``,
``read_p99_ms_100k`` (the suffix is the size reached). Goals are ratios within the run (machines
differ by 30% from hour to hour): relayed / ceiling >= 0.6, relayed / one-tx >= 15,
read / floor >= 0.6; each is marked met or missed with the run it came from. ``details.embedded``
keeps the one-process SQLite row (eth-tester chain, gateway in this process) for comparison.
Session tokens for the read load are written to the gateway's session table directly (100,000
SIWE sign-ins are not what is measured); one real SIWE sign-in over HTTP checks that path first.
Prints a table and writes ``bench/results/gateway.json``; ``--profile DIR`` samples the relay
worker and an API process with py-spy if installed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._gateway_city import City
from bench._gateway_embedded import embedded_throughput
from bench._gateway_raw import headline, relay_batches
from bench._gateway_reads import (
    run_loads,
    seed_sessions,
    wait_indexed,
    warm_notices,
    write_health_targets,
    write_targets,
)
from bench._gateway_relayed import EVALUATOR_THREADS, relay_through_gateway
from bench._gateway_server import cpu_seconds, profiled, rss_mb
from bench._gateway_shape import Shape, postgres_database, production_shape, wait_indexed_to
from bench._gateway_siwe import sign_in
from bench.bench_gas import git_commit
from credit import compile as solc
from credit.chain import fund, rpc_web3
from credit.relay.senders import pool_addresses
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from credit.settings import Settings
from tests.support.anvil import anvil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gateway.json"
ANVIL_ARGS = ("--gas-limit", "100000000", "--prune-history", "256")
REGISTER_BATCH = 1_000  # residents per registerResidents (30,000 gas each: 30 M gas a block)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every phase on one anvil and one PostgreSQL database; the results document."""
    artifacts, ruleset = solc.compile_contracts(), load_ruleset(DEFAULT_RULESET)
    started = time.perf_counter()
    sizes = sorted(set(args.residents))
    by_size: dict[str, dict[str, Any]] = {}
    with (
        anvil(*ANVIL_ARGS) as url,
        postgres_database() as database,
        tempfile.TemporaryDirectory() as tmp,
    ):
        w3 = rpc_web3(url, timeout=120)
        city = City(w3, artifacts, ruleset, sizes[-1])
        fund(w3, pool_addresses(Settings(relayer_pool_size=args.keys)), 10**20)
        workdir = Path(tmp)
        city.system.record.save(workdir / "deployment.json")
        tokens: dict[str, str] = {}
        with production_shape(
            url,
            workdir,
            database,
            batch=args.batch,
            window=args.window,
            keys=args.keys,
            apis=args.apis,
        ) as shape:
            print(f"up: {len(shape.bases)} API processes, relay worker, indexer", flush=True)
            for size in sizes:
                registered = city.register(size, batch=REGISTER_BATCH)
                indexed = wait_indexed_to(database, int(w3.eth.block_number))
                print(
                    f"{size:,} residents registered in {registered:.1f} s, indexed "
                    f"{indexed:.1f} s later",
                    flush=True,
                )
                phase = measure(args, city, shape, database, workdir, size, tokens)
                phase["register_seconds"] = round(registered, 1)
                phase["index_catch_up_seconds"] = round(indexed, 1)
                by_size[str(size)] = phase
    phases: dict[str, Any] = {"by_residents": by_size}
    if "eth-tester" in args.chains:
        phases["embedded"] = embedded_throughput(args)
    return document(args, phases, time.perf_counter() - started)


def measure(
    args: argparse.Namespace,
    city: City,
    shape: Shape,
    database: str,
    workdir: Path,
    size: int,
    tokens: dict[str, str],
) -> dict[str, Any]:
    """At ``size`` registered residents: the relayed runs, both baselines, reads and floor."""
    sweep = []
    for bulk in args.bulk:
        wait_indexed_to(database, int(city.w3.eth.block_number))
        print(
            f"relaying {args.relayed:,} records through {len(shape.bases)} API processes "
            f"({bulk} claims per request, relay batches of {args.batch}, K = {args.keys}) ...",
            flush=True,
        )
        with busy(shape) as cpu, profiled(args.profile, shape.pids["relay"], f"relay-bulk{bulk}"):
            relayed = relay_through_gateway(
                city, shape.bases, city.records(args.relayed), args.batch, args.concurrency, bulk
            )
        relayed["cpu_share"] = cpu.shares(relayed["seconds"])
        relayed["relay_batch_size"] = args.batch
        print(f"  {relayed}", flush=True)
        sweep.append(relayed)
    direct = city.accounts["direct"]
    ceiling = relay_batches(city, direct, city.records(args.raw), args.batch)
    print(f"plain web3, batches of {args.batch}: {ceiling}", flush=True)
    single = relay_batches(city, direct, city.records(args.single), 1)
    print(f"plain web3, one tx per record: {single}", flush=True)
    read, floor = reads(args, city, shape, database, workdir, size, tokens)
    return {
        "residents": size,
        "relayed_sweep": sweep,
        "relayed": max(sweep, key=lambda r: r["records_per_s"]),
        "ceiling": ceiling,
        "one_tx": single,
        "reads": read,
        "floor": floor,
    }


def reads(
    args: argparse.Namespace,
    city: City,
    shape: Shape,
    database: str,
    workdir: Path,
    size: int,
    tokens: dict[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The resident reads over the first ``size`` residents, then ``/v1/health`` (the floor):
    the same load generator, connections and API processes, one after the other."""
    if not tokens:
        tokens[city.addresses[0]] = sign_in(shape.bases[0], city.keys[0], city.addresses[0])
    fresh = [a for a in city.addresses[:size] if a not in tokens]
    tokens.update(seed_sessions(database, fresh))
    block = int(city.w3.eth.block_number)
    for base in shape.bases:
        wait_indexed(base, city.addresses[0], tokens[city.addresses[0]], block)
        # the first notices read after the index moved evaluates everyone's notices (once per
        # position and process): what a city pays once per block, not per read
        warm_notices(base, city.addresses[0], tokens[city.addresses[0]])
    targets, health = workdir / f"targets-{size}.tsv", workdir / "health.tsv"
    write_targets(targets, {a: tokens[a] for a in city.addresses[:size]})
    write_health_targets(health)
    out = []
    for name, file in (("reads", targets), ("floor", health)):
        print(f"{name}: {args.connections} connections over {len(shape.ports)} ports", flush=True)
        run_loads(shape.ports, file, args.warmup, args.connections, workdir)
        with busy(shape) as cpu, profiled(args.profile, shape.pids["api-1"], f"api-{name}-{size}"):
            measured = run_loads(shape.ports, file, args.read_seconds, args.connections, workdir)
        measured["cpu_share"] = cpu.shares(measured["seconds"])
        measured["rss_mb"] = {role: rss_mb(pid) for role, pid in shape.pids.items()}
        print(f"  {measured}", flush=True)
        if measured["non_2xx"] or measured["socket_errors"]:
            raise RuntimeError(f"{name} load had failures: {measured}")
        out.append(measured)
    return out[0], out[1]


class _Cpu:
    """CPU seconds of each process of the shape, and of the whole machine, over a phase."""

    def __init__(self, shape: Shape) -> None:
        self.pids = shape.pids
        self.before = {role: cpu_seconds(pid) for role, pid in self.pids.items()}
        self.machine = _machine_busy()
        self.after: dict[str, float] = {}
        self.machine_after = self.machine

    def stop(self) -> None:
        self.after = {role: cpu_seconds(pid) for role, pid in self.pids.items()}
        self.machine_after = _machine_busy()

    def shares(self, seconds: float) -> dict[str, float]:
        """Cores used by each process (1.0 = one core busy all along), and CPUs busy on the
        whole host (``/proc/stat``: other work too, and the host may have more CPUs than ours)."""
        out = {r: round((self.after[r] - self.before[r]) / seconds, 2) for r in self.pids}
        out["host"] = round((self.machine_after - self.machine) / seconds, 2)
        return out


@contextmanager
def busy(shape: Shape) -> Iterator[_Cpu]:
    cpu = _Cpu(shape)
    try:
        yield cpu
    finally:
        cpu.stop()


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (not idle nor waiting), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


GOALS = {"relayed_vs_ceiling": 0.6, "relayed_vs_one_tx": 15.0, "read_vs_floor": 0.6}


def document(args: argparse.Namespace, phases: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The results file's content: the headline keys (from the largest city measured), their
    ratios and goals, the details."""
    size = max(int(k) for k in phases["by_residents"])
    at = phases["by_residents"][str(size)]
    suffix = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    r, c, o = (at[k]["records_per_s"] for k in ("relayed", "ceiling", "one_tx"))
    read, floor = at["reads"], at["floor"]
    timestamp = datetime.now(UTC).isoformat(timespec="seconds")
    run_name = (
        f"anvil + PostgreSQL, {args.apis} API processes, relay worker (K = {args.keys}), indexer; "
        f"{size:,} residents; {timestamp}"
    )
    ratios = {**headline(r, c, o), "read_vs_floor": round(read["rps"] / floor["rps"], 3)}
    goals = {f"{k} >= {g:g}": ratios[k] >= g for k, g in GOALS.items()}
    return {
        **ratios,
        "relayed_claims_per_request": at["relayed"]["claims_per_request"],
        "relayed_batch_size": args.batch,
        f"read_rps_{suffix}": read["rps"],
        f"read_p50_ms_{suffix}": read["p50_ms"],
        f"read_p99_ms_{suffix}": read["p99_ms"],
        "floor_rps": floor["rps"],
        "floor_p50_ms": floor["p50_ms"],
        "goals": goals,
        "goal_status": {
            expr: {"ratio": ratios[expr.split()[0]], "status": "met" if met else "missed"}
            for expr, met in goals.items()
        },
        "run": run_name,
        "details": phases,
        "meta": {
            "node": f"anvil (npm package, automine) {' '.join(ANVIL_ARGS)}",
            "database": "PostgreSQL 15 on 127.0.0.1 (a bench_<random> database, dropped after)",
            "processes": f"{args.apis} x `credit serve` (CREDIT_RUN_WORKERS=false), "
            f"`credit relay run` (CREDIT_RELAYER_POOL_SIZE={args.keys}), `credit index run`; "
            "load from separate processes (the bench's client threads; wrk per API port)",
            "residents": sorted(set(args.residents)),
            "headline_residents": size,
            "batch_size": args.batch,
            "claims_per_request": args.bulk,
            "relayed_records_per_run": args.relayed,
            "headline": "relayed_records_per_s is the fastest claims-per-request size at the "
            "largest city; every run is in details.by_residents (details.embedded: one process, "
            "SQLite, eth-tester)",
            "batch_window_seconds": args.window,
            "evaluator_threads": EVALUATOR_THREADS,
            "read_mix": "GET /v1/residents/{a} and /v1/residents/{a}/notices, 1:1, own token",
            "floor": "GET /v1/health, same wrk processes, connections and API processes",
            "read_combining": "one wrk per API port at once; rps summed, p50 request-weighted, "
            "p99 the higher of the two",
            "read_connections": args.connections,
            "read_warmup_seconds": args.warmup,
            "read_seconds": args.read_seconds,
            "bench_seconds": round(seconds, 1),
            "timestamp": timestamp,
            "git_commit": git_commit(),
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        },
    }


def table(doc: dict[str, Any]) -> str:
    """The printed summary: the headline keys and goals, then each city size and the embedded
    row."""
    suffix = next(k for k in doc if k.startswith("read_rps_")).removeprefix("read_rps_")
    status = {
        expr.split()[0]: f"goal {expr}: {s['status']}" for expr, s in doc["goal_status"].items()
    }
    rows = [
        ("relayed_records_per_s", doc["relayed_records_per_s"], "end to end, via HTTP"),
        ("raw_batch_ceiling_per_s", doc["raw_batch_ceiling_per_s"], "plain web3 batches"),
        ("one_tx_per_record_per_s", doc["one_tx_per_record_per_s"], "plain web3, 1 tx/record"),
        ("relayed / ceiling", doc["relayed_vs_ceiling"], status["relayed_vs_ceiling"]),
        ("relayed / one-tx", doc["relayed_vs_one_tx"], status["relayed_vs_one_tx"]),
        (f"read_rps_{suffix}", doc[f"read_rps_{suffix}"], ""),
        ("floor_rps", doc["floor_rps"], "GET /v1/health, same load"),
        ("read / floor", doc["read_vs_floor"], status["read_vs_floor"]),
        (f"read_p50_ms_{suffix}", doc[f"read_p50_ms_{suffix}"], ""),
        (f"read_p99_ms_{suffix}", doc[f"read_p99_ms_{suffix}"], ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"run: {doc['run']}"]
    lines += [f"{k:<{width}}  {v:>10}  {note}" for k, v, note in rows]
    lines.append("")
    lines.append(
        f"{'shape':<22}  {'residents':>9}  {'relayed/s':>9}  {'ceiling/s':>9}  {'1-tx/s':>7}  "
        f"{'read rps':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'floor rps':>9}"
    )
    for size, d in sorted(doc["details"]["by_residents"].items(), key=lambda kv: int(kv[0])):
        lines.append(
            f"{'2 API + relay + index':<22}  {int(size):>9,}  {d['relayed']['records_per_s']:>9}  "
            f"{d['ceiling']['records_per_s']:>9}  {d['one_tx']['records_per_s']:>7}  "
            f"{d['reads']['rps']:>8}  {d['reads']['p50_ms']:>7}  {d['reads']['p99_ms']:>7}  "
            f"{d['floor']['rps']:>9}"
        )
    e = doc["details"].get("embedded")
    if e:
        lines.append(
            f"{'embedded (SQLite, 1)':<22}  {e['residents']:>9,}  {e['relayed_records_per_s']:>9}  "
            f"{e['raw_batch_ceiling_per_s']:>9}  {e['one_tx_per_record_per_s']:>7}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_gateway", description=__doc__)
    parser.add_argument(
        "--residents", type=_ints, default=[10_000, 100_000], help="city sizes, e.g. 10000,100000"
    )
    parser.add_argument("--apis", type=int, default=2, help="API processes (credit serve)")
    parser.add_argument("--keys", type=int, default=3, help="relayer keys of the relay worker")
    parser.add_argument("--relayed", type=int, default=2_000, help="records via the gateway")
    parser.add_argument("--raw", type=int, default=4_000, help="records in plain web3 batches")
    parser.add_argument("--single", type=int, default=300, help="records, one tx each")
    parser.add_argument("--batch", type=int, default=100, help="records per relayClaims (baseline)")
    parser.add_argument(
        "--bulk", type=_ints, default=[1, 10, 100], help="claims per request, e.g. 1,10,100"
    )
    parser.add_argument("--window", type=float, default=0.05, help="batch window (s)")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP client threads")
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="read load connections over all API ports (many residents at once: with few, the "
        "processes idle between database round trips and the run measures latency)",
    )
    parser.add_argument(
        "--saturate", type=int, default=16, help="connections of the second (saturation) read run"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="read warm-up (s)")
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument(
        "--chains",
        type=lambda t: [c.strip() for c in t.split(",") if c.strip()],
        default=["anvil", "eth-tester"],
        help="anvil (always; the headline keys) and/or eth-tester (details.embedded)",
    )
    parser.add_argument("--et-residents", type=int, default=1_000, help="eth-tester residents")
    parser.add_argument("--et-relayed", type=int, default=300, help="eth-tester records per run")
    parser.add_argument("--et-raw", type=int, default=300, help="eth-tester ceiling records")
    parser.add_argument("--et-single", type=int, default=30, help="eth-tester one-tx records")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run in about a minute: fewer residents and records, short reads",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy (if installed) the relay worker while relaying and the first API process "
        "while reading, into this directory (SPY_IDLE=1: waiting frames too)",
    )
    return parser.parse_args(argv)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _quick(args: argparse.Namespace) -> argparse.Namespace:
    """``--quick``: small sizes everywhere (the results are not comparable with a full run)."""
    small = {
        "residents": [1_000],
        "relayed": 300,
        "raw": 500,
        "single": 50,
        "read_seconds": 2.0,
        "warmup": 0.5,
        "et_residents": 200,
        "et_relayed": 100,
        "et_raw": 100,
        "et_single": 10,
    }
    for key, value in small.items():
        setattr(args, key, value if isinstance(value, list) else min(getattr(args, key), value))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args = _quick(args)
    if min(args.residents) < 2 or args.relayed > min(args.residents):
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
