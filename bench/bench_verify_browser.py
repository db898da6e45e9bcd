"""The state root in the browser beside the Python worker, on the same 10,000-resident chain.

``python -m bench.bench_verify_browser`` (``make bench-verify-browser``) builds the synthetic
history of ``bench/_synthetic_ledger.py`` once (10,000 residents, 100,000 credited or violation
records over ten epochs) and turns it into a chain as a JSON-RPC node serves it: one block per
event, logs ABI-encoded with the ledger's and rule book's compiled ABIs, and the ``eth_call``
answers the replay reads (``epochSchedule``, ``ruleSet``). On that one chain it measures, in one
run, the root of the last epoch:

- ``browser_root_seconds_10k``: headless Chromium (Debian's ``/usr/bin/chromium``) running the
  "Verify the ledger" page's Web Worker (``credit/gateway/web/js/verify/worker.js``) against
  ``/rpc`` of a loopback HTTP server: from posting the job to the root, every read included
  (binary search for the epoch's last block, ``eth_getLogs`` by 5,000 blocks, the events' block
  times, ``eth_call``), then decoding, folding and the Merkle tree. The block times are what
  costs: the headline run is served by a node whose logs carry ``blockTimestamp`` (the log field
  of ethereum/execution-apis#639), so no header is read; ``browser_root.runs`` also has the
  worker reading 113,595 headers in JSON-RPC batches of 1,000, and in batches of 10 as the
  gateway's ``/rpc`` takes them (whose rate limit, 300 calls a minute, the loopback server here
  does not impose);
- ``python_root_seconds_10k``: ``credit.verify.replay.replay_epoch`` (the Python worker's replay)
  over the same logs and headers in memory: decoding with ``EventCodec``, the indexer's fold, the
  epoch state and the tree (no HTTP: the node's answers cost it nothing).

Both roots must be equal. The figures are merged into ``bench/results/verify.json`` (the other
keys, written by ``bench.bench_verify``, are kept). Goal: <= 10 s in the browser.
"""

from __future__ import annotations

import argparse
import bisect
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import event_abi_to_log_topic, keccak

from bench._synthetic_ledger import EPOCH, GENESIS, History, synthetic_history
from credit import compile as solc
from credit.chain.events import BlockHeader, EventCodec, RawEvent, _type_string
from credit.verify.replay import replay_epoch

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "credit" / "gateway" / "web"
RESULTS = ROOT / "bench" / "results" / "verify.json"
CHROMIUM = Path("/usr/bin/chromium")
RESIDENTS, RECORDS, EPOCHS = 10_000, 100_000, 10
GOAL_SECONDS = 10.0
LEDGER = "0x" + keccak(b"bench ledger")[12:].hex()
RULE_BOOK = "0x" + keccak(b"bench rule book")[12:].hex()


@dataclass
class Chain:
    """A synthetic chain as a node holds it: headers, logs (by block) and eth_call answers."""

    times: list[int]  # block number -> timestamp
    logs: list[dict[str, Any]]  # JSON-RPC log objects, in chain order
    log_blocks: list[int]  # block number of each log (for bisecting a range)
    calls: dict[str, str]  # "to data" -> result
    start_block: int
    blocks: list[dict[str, Any]] = field(default_factory=list)  # headers, as eth_getBlockByNumber

    def __post_init__(self) -> None:
        hashes = [
            "0x" + keccak(b"block" + n.to_bytes(8, "big")).hex() for n in range(len(self.times))
        ]
        self.blocks = [
            {
                "number": hex(n),
                "hash": hashes[n],
                "parentHash": hashes[n - 1] if n else "0x" + bytes(32).hex(),
                "timestamp": hex(t),
            }
            for n, t in enumerate(self.times)
        ]

    @property
    def head(self) -> int:
        return len(self.times) - 1

    def block(self, number: int) -> dict[str, Any] | None:
        return self.blocks[number] if 0 <= number <= self.head else None

    def logs_between(
        self, first: int, last: int, addresses: Sequence[str], *, stamped: bool = False
    ) -> list[dict[str, Any]]:
        """Logs in ``first..last``; ``stamped`` adds ``blockTimestamp`` (execution-apis #639)."""
        wanted = {a.lower() for a in addresses}
        lo = bisect.bisect_left(self.log_blocks, first)
        hi = bisect.bisect_right(self.log_blocks, last)
        found = [log for log in self.logs[lo:hi] if log["address"] in wanted]
        if stamped:
            found = [
                {**log, "blockTimestamp": self.blocks[int(log["blockNumber"], 16)]["timestamp"]}
                for log in found
            ]
        return found


def _encode_logs(history: History, abis: Mapping[str, Sequence[Mapping[str, Any]]]) -> Chain:
    """The history's events as ABI-encoded logs, one block each (block 0 precedes genesis)."""
    events = {}
    for address, abi in abis.items():
        for item in abi:
            if item.get("type") == "event":
                events[item["name"]] = (address, item, "0x" + event_abi_to_log_topic(item).hex())
    times = [GENESIS - 60]
    logs, log_blocks = [], []
    for e in history.events:
        address, item, topic0 = events[e.name]
        indexed = [p for p in item["inputs"] if p["indexed"]]
        plain = [p for p in item["inputs"] if not p["indexed"]]
        topics = [topic0]
        for p in indexed:
            topics.append(
                "0x" + abi_encode([_type_string(p)], [_abi_value(e.args[p["name"]])]).hex()
            )
        data = abi_encode(
            [_type_string(p) for p in plain], [_abi_value(e.args[p["name"]]) for p in plain]
        )
        number = len(times)
        times.append(e.block_time)
        log_blocks.append(number)
        logs.append(
            {
                "address": address,
                "topics": topics,
                "data": "0x" + data.hex(),
                "blockNumber": hex(number),
                "blockHash": "0x" + keccak(b"block" + number.to_bytes(8, "big")).hex(),
                "transactionHash": e.tx_hash,
                "transactionIndex": "0x0",
                "logIndex": "0x0",
                "removed": False,
            }
        )
    times.append(GENESIS + EPOCHS * EPOCH + 60)  # the head: past the last epoch's end
    (version,) = history.versions
    terms = (
        bytes.fromhex(version.content_hash[2:]),
        version.expiry_epochs,
        14 * 86400,
        10**15,
        10**21,
    )
    rule_set = abi_encode(
        ["(bytes32,uint16,uint32,uint80,uint88)", "string", "uint48", "uint48"],
        [terms, "ipfs://rules", GENESIS, version.effective_at],
    )
    calls = {
        f"{LEDGER} 0x{keccak(text='epochSchedule()')[:4].hex()}": "0x"
        + abi_encode(["uint48", "uint48"], [EPOCH, GENESIS]).hex(),
        f"{RULE_BOOK} 0x{keccak(text='ruleSet(uint32)')[:4].hex()}{version.version:064x}": "0x"
        + rule_set.hex(),
    }
    return Chain(times, logs, log_blocks, calls, start_block=1)


def _abi_value(value: Any) -> Any:
    return bytes.fromhex(value[2:]) if isinstance(value, str) and len(value) == 66 else value


def _answer(chain: Chain, request: Mapping[str, Any], stamped: bool) -> dict[str, Any]:
    method, params = request.get("method"), request.get("params") or []
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
    if method == "eth_blockNumber":
        reply["result"] = hex(chain.head)
    elif method == "eth_getBlockByNumber":
        tag = params[0]
        reply["result"] = chain.block(chain.head if tag == "latest" else int(tag, 16))
    elif method == "eth_getLogs":
        f = params[0]
        first, last = int(f["fromBlock"], 16), int(f["toBlock"], 16)
        reply["result"] = chain.logs_between(first, last, f["address"], stamped=stamped)
    elif method == "eth_call":
        reply["result"] = chain.calls.get(f"{params[0]['to'].lower()} {params[0]['data'].lower()}")
    else:
        reply["error"] = {"code": -32601, "message": f"{method} is not served here"}
    return reply


class _Handler(SimpleHTTPRequestHandler):
    """The web client's files, and ``POST /rpc``: JSON-RPC on the synthetic chain (and batches)."""

    chain: Chain
    stamped = False  # whether logs carry blockTimestamp
    busy = 0.0  # seconds spent answering JSON-RPC

    def do_POST(self) -> None:
        started = time.perf_counter()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = (
            [_answer(self.chain, r, self.stamped) for r in body]
            if isinstance(body, list)
            else _answer(self.chain, body, self.stamped)
        )
        raw = json.dumps(answer).encode()
        type(self).busy += time.perf_counter() - started
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Source:
    """The synthetic chain as ``credit.verify.replay`` reads it (EventSource's interface)."""

    def __init__(
        self, chain: Chain, abis: Mapping[str, Sequence[Mapping[str, Any]]], history: History
    ) -> None:
        self.chain = chain
        self.versions = history.versions
        self.codec = EventCodec(abis)
        self.start_block = chain.start_block

    def head(self) -> int:
        return self.chain.head

    def header(self, number: int) -> BlockHeader | None:
        block = self.chain.block(number)
        if block is None:
            return None
        return BlockHeader(number, block["hash"], block["parentHash"], int(block["timestamp"], 16))

    def logs(self, from_block: int, to_block: int) -> list[RawEvent]:
        raw = self.chain.logs_between(from_block, to_block, self.codec.addresses)
        return self.codec.decode_all(_as_web3(log) for log in raw)

    def epoch_schedule(self) -> tuple[int, int]:
        return EPOCH, GENESIS

    def rule_set_terms(self, rule_version: int) -> dict[str, Any]:
        (version,) = [v for v in self.versions if v.version == rule_version]
        return {"expiryEpochs": version.expiry_epochs}


def _as_web3(log: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-RPC log as web3.py hands it over (integers and bytes), for ``EventCodec``."""
    return {
        **log,
        "data": bytes.fromhex(log["data"][2:]),
        "blockNumber": int(log["blockNumber"], 16),
        "logIndex": int(log["logIndex"], 16),
    }


def measure_python(
    chain: Chain, abis: Mapping[str, Any], history: History, epoch: int
) -> dict[str, Any]:
    """The Python worker's replay of ``epoch`` over the chain in memory."""
    started = time.perf_counter()
    replay = replay_epoch(_Source(chain, abis, history), epoch)  # type: ignore[arg-type]
    root = "0x" + replay.root.hex()
    return {"seconds": round(time.perf_counter() - started, 3), "root": root}


_RUN_WORKER = """async ([deployment, epoch, batchSize]) => {
  const started = performance.now();
  const phases = {};
  const worker = new Worker("js/verify/worker.js", { type: "module" });
  const result = await new Promise((resolve, reject) => {
    worker.onmessage = (m) => {
      const d = m.data;
      if (d.type === "progress") phases[d.phase] = (performance.now() - started) / 1000;
      else if (d.type === "done") resolve(d);
      else reject(new Error(d.message));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ rpcUrl: "/rpc", deployment, epoch, batchSize });
  });
  worker.terminate();
  return { ...result, wall: (performance.now() - started) / 1000, phases };
}"""


# (name, logs carry blockTimestamp, calls per JSON-RPC batch): what the node offers the worker
# (the first is the headline figure, browser_root_seconds_10k)
SCENARIOS = (
    ("node_block_timestamp", True, 10),  # a node giving blockTimestamp: no header reads
    ("node_batches_1000", False, 1000),  # a node taking batches of 1,000 header reads
    ("gateway_rpc", False, 10),  # the gateway's /rpc today: no blockTimestamp, batches of 10
)


def measure_browser(chain: Chain, epoch: int) -> dict[str, Any]:
    """The page's Web Worker in headless Chromium, reading the chain over loopback JSON-RPC, as
    each of :data:`SCENARIOS` serves it."""
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM_ARGS

    handler = partial(_Handler, directory=str(WEB))
    _Handler.chain = chain
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    runs: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            version = browser.version
            deployment = {"ledger": LEDGER, "ruleBook": RULE_BOOK, "startBlock": chain.start_block}
            for name, stamped, batch in SCENARIOS:
                _Handler.stamped, _Handler.busy = stamped, 0.0
                page = browser.new_page()  # a fresh page (and worker) for each run
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                out = page.evaluate(_RUN_WORKER, [deployment, epoch, batch])
                page.close()
                runs[name] = {
                    "seconds": round(out["wall"], 3),
                    "worker_seconds": round(out["seconds"], 3),
                    "block_timestamp_in_logs": stamped,
                    "batch_size": batch,
                    "phase_ends_seconds": {k: round(v, 3) for k, v in out["phases"].items()},
                    "server_answering_seconds": round(_Handler.busy, 3),
                    "root": out["root"],
                    "residents": out["residents"],
                    "events": out["events"],
                }
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"chromium": version, "runs": runs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_verify_browser", description=__doc__
    )
    parser.add_argument("--residents", type=int, default=RESIDENTS)
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run `make browser` as root")
        return 2
    made = time.perf_counter()
    history = synthetic_history(args.residents, args.records, epochs=EPOCHS)
    artifacts = solc.compile_contracts()
    abis = {LEDGER: artifacts["CreditLedger"].abi, RULE_BOOK: artifacts["RuleBook"].abi}
    chain = _encode_logs(history, abis)
    generated = round(time.perf_counter() - made, 1)
    epoch = EPOCHS - 1
    python = measure_python(chain, abis, history, epoch)
    browser = measure_browser(chain, epoch)
    runs = browser["runs"]
    wrong = {name: r["root"] for name, r in runs.items() if r["root"] != python["root"]}
    if wrong:
        print(f"the roots differ from the Python worker's {python['root']}: {wrong}")
        return 1
    main_run = runs[SCENARIOS[0][0]]
    figures = {
        "browser_root_seconds_10k": main_run["seconds"],
        "python_root_seconds_10k": python["seconds"],
        "browser_root": {
            "measured_as": SCENARIOS[0][0],
            "root": python["root"],
            "chromium": browser["chromium"],
            "runs": runs,
            "python_seconds": python["seconds"],
            "inputs": {
                "residents": args.residents,
                "records": args.records,
                "logs": len(chain.logs),
                "blocks": chain.head + 1,
                "epoch": epoch,
                "generated_in_seconds": generated,
            },
            "goal_seconds": GOAL_SECONDS,
        },
    }
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    results.update(figures)
    goals = {**results.get("goals", {}), "browser_root_seconds_10k": GOAL_SECONDS}
    results["goals"] = goals
    results["missed_goals"] = [
        k for k, goal in goals.items() if k in results and float(results[k]) > goal
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'state root, ' + str(args.residents) + ' residents':<58} {'seconds':>8}")
    for name, stamped, batch in SCENARIOS:
        how = "blockTimestamp in logs" if stamped else f"headers in batches of {batch}"
        print(f"{'browser, ' + name + ' (' + how + ')':<58} {runs[name]['seconds']:>8.2f}")
    print(f"{'python worker replay (same logs, in memory)':<58} {python['seconds']:>8.2f}")
    print(
        f"goal: browser <= {GOAL_SECONDS:.0f} s ({SCENARIOS[0][0]}); roots equal: {python['root']}"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
