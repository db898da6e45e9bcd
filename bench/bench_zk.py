"""Private proofs: circuit size, proving time in the browser and in node, gate gas, download size.

``python -m bench.bench_zk`` (``make bench-zk``) writes ``bench/results/zk.json``:

- ``constraints``: the circuit's non-linear constraints (``circom2 --O2``; from
  ``zk/credit_at_least/circuit.json``, which tests/zk/test_circuit.py holds to a recompilation);
- ``browser_prove_seconds``: headless Chromium (``/usr/bin/chromium``) running the "Prove my
  credit" page's Web Worker (``credit/gateway/web/zk/prove_worker.js``): from posting the input to
  the proof, loading snarkjs, the wasm and the zkey over loopback HTTP included, each run in a
  fresh browser context (nothing cached); median of 3 (every run listed);
- ``node_prove_seconds``: ``credit.zk.snark.prove`` (snarkjs's CLI under node, process start
  included), median of 3;
- ``verify_gas``: ``CreditGate.pass`` as a transaction on the embedded chain (eth-tester's py-evm):
  root check, Groth16 verification, nullifier stored, event;
- ``download_bytes``: what the browser fetches to prove: snarkjs.min.js, the circuit's wasm and
  the zkey (and gzipped, as a server compressing them would send them).

Goals: constraints <= 8,000, browser_prove_seconds <= 5, verify_gas <= 300,000.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from credit.chain import embedded_web3
from credit.chain.zk import pass_gate
from credit.compile import PROJECT_ROOT, compile_contracts
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from credit.zk.identity import identity_commitment, scope_of
from credit.zk.inputs import circuit_input, gate_proof_args
from credit.zk.snark import ARTEFACTS, prove
from credit.zk.tree import CreditLeaf, build_tree

OUT = PROJECT_ROOT / "bench" / "results" / "zk.json"
CHROMIUM = Path("/usr/bin/chromium")
SNARKJS_MIN = PROJECT_ROOT / "node_modules" / "snarkjs" / "build" / "snarkjs.min.js"
WORKER = PROJECT_ROOT / "credit" / "gateway" / "web" / "zk" / "prove_worker.js"
GOALS = {"constraints": 8000, "browser_prove_seconds": 5.0, "verify_gas": 300_000}
DOWNLOADS = (SNARKJS_MIN, ARTEFACTS / "credit_at_least.wasm", ARTEFACTS / "credit_at_least.zkey")

_RUN = """async (input) => {
  const started = performance.now();
  const worker = new Worker("/prove_worker.js");
  const stages = [];
  const out = await new Promise((resolve) => {
    worker.onmessage = (e) => {
      if (e.data.stage) stages.push([e.data.stage, (performance.now() - started) / 1000]);
      if (e.data.done || e.data.error) resolve(e.data);
    };
    worker.postMessage({ input, assets: "" });
  });
  worker.terminate();
  return { wall: (performance.now() - started) / 1000, error: out.error || null,
           publicSignals: out.publicSignals || null, stages };
}"""


def sample_input() -> tuple[dict[str, Any], list[str]]:
    """A case: one resident with credit 64 among 1,000 leaves, a gate asking 50."""
    secret = 424242
    leaves = [CreditLeaf(identity_commitment(secret), 64)]
    leaves += [CreditLeaf(1000 + i, i % 90) for i in range(999)]
    tree = build_tree(leaves)
    scope = scope_of(31337, "0x" + "ab" * 20, "city library: credit >= 50")
    data, statement = circuit_input(
        secret, tree, threshold=50, scope=scope, recipient="0x" + "cd" * 20
    )
    return data, statement.signals()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def browser_prove(data: dict[str, Any], expected: list[str], runs: int) -> dict[str, Any]:
    """Median seconds of ``runs`` proofs by the page's worker in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM_ARGS

    with tempfile.TemporaryDirectory(prefix="bench-zk-") as tmp:
        site = Path(tmp)
        for f in (*DOWNLOADS, WORKER):
            shutil.copy(f, site / f.name)
        (site / "index.html").write_text("<!doctype html><title>bench</title>")
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        results = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                version = browser.version
                for _ in range(runs):
                    context = browser.new_context()  # nothing cached between runs
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                    out = page.evaluate(_RUN, data)
                    context.close()
                    if out["error"] or out["publicSignals"] != expected:
                        raise RuntimeError(f"the browser's proof went wrong: {out['error']}")
                    results.append(
                        {
                            "seconds": round(out["wall"], 3),
                            "stages": {s: round(t, 3) for s, t in out["stages"]},
                        }
                    )
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    median = statistics.median(r["seconds"] for r in results)
    return {"median": round(median, 3), "chromium": version, "runs": results}


def node_prove(data: dict[str, Any], runs: int) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        prove(data)
        times.append(round(time.perf_counter() - started, 3))
    return {"median": statistics.median(times), "runs": times}


def gate_gas() -> dict[str, Any]:
    """Gas of ``CreditGate.pass`` as a transaction, on the test world's setup."""
    from tests.support.private_proofs import build_zk_world
    from tests.support.world import build_world

    artifacts = compile_contracts()
    world = build_world(embedded_web3(), artifacts, load_ruleset(DEFAULT_RULESET))
    zk = build_zk_world(world, artifacts)
    data, statement = circuit_input(
        zk.secrets["resident0"],
        zk.tree,
        threshold=zk.threshold,
        scope=zk.scope(),
        recipient=world.residents[3].address,
    )
    proof, _public = prove(data)
    receipt = pass_gate(
        world.outsider.tx,
        zk.gate,
        zk.epoch,
        statement.root,
        statement.nullifier,
        statement.recipient_address,
        gate_proof_args(proof),
    )
    return {"gas_used": int(receipt["gasUsed"]), "leaves": len(zk.tree.leaves)}


def download_sizes() -> dict[str, Any]:
    files = {f.name: f.stat().st_size for f in DOWNLOADS}
    gzipped = {f.name: len(gzip.compress(f.read_bytes(), 6)) for f in DOWNLOADS}
    return {"total": sum(files.values()), "gzip_total": sum(gzipped.values()), "files": files}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium runs")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    circuit = json.loads((ARTEFACTS / "circuit.json").read_text())
    data, expected = sample_input()
    results: dict[str, Any] = {"constraints": circuit["constraints"]}
    if not args.no_browser and CHROMIUM.exists():
        browser = browser_prove(data, expected, args.runs)
        results["browser_prove_seconds"] = browser["median"]
        results["browser_prove"] = browser
    node = node_prove(data, args.runs)
    results["node_prove_seconds"] = node["median"]
    results["node_prove"] = node
    gas = gate_gas()
    results["verify_gas"] = gas["gas_used"]
    downloads = download_sizes()
    results["download_bytes"] = downloads["total"]
    results["download"] = downloads
    results["goals"] = GOALS
    results["missed_goals"] = [k for k, goal in GOALS.items() if k in results and results[k] > goal]
    # Times are wall clock on whatever else the machine runs: the load says how busy it was.
    results["load_average_1min"] = {
        "before": round(load_before[0], 2),
        "after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
