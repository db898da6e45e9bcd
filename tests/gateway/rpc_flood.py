"""An anonymous caller flooding ``POST /rpc`` with the most expensive requests it can think of.

Usage: python -m tests.gateway.rpc_flood URL THREADS FUNDED_ADDRESS. Each thread sends, in turn:
an ``eth_call`` (from any funded address: balances are public) running an endless loop with a
large gas allowance, the same as ``eth_estimateGas``, a batch of twenty such calls, the widest
``eth_feeHistory``, full blocks, an over-long batch of cheap reads and the longest batches of
reads the window serves. It prints ``ready`` once the first answer came back, runs until stdin
closes, then prints one JSON line: answers by HTTP status.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections import Counter
from typing import Any

import httpx

LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP: spins until the gas runs out
GAS = 1_000_000  # ~0.4 s of py-evm per call on this machine


def _call(method: str, params: list[Any], id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


def hostile_bodies(sender: str) -> list[Any]:
    """The rotation of request bodies (each JSON-RPC, single or batch)."""
    spin = {"from": sender, "data": LOOP, "gas": GAS}
    return [
        _call("eth_call", [spin, "latest"]),
        _call("eth_estimateGas", [spin]),
        [_call("eth_call", [spin, "latest"], i) for i in range(20)],
        _call("eth_feeHistory", ["0x400", "latest", list(range(100))]),
        _call("eth_getBlockByNumber", ["latest", True]),
        [_call("eth_getBlockByNumber", [hex(i % 4), False], i) for i in range(50)],
        [_call("eth_getBalance", [sender, hex(i % 4)], i) for i in range(10)],
        [_call("eth_getBlockByNumber", [hex(i % 4), False], i) for i in range(10)],
    ]


def main(url: str, threads: int, sender: str) -> int:
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    first = threading.Event()
    stop = threading.Event()

    def flood(offset: int) -> None:
        bodies = hostile_bodies(sender)
        with httpx.Client(timeout=120) as client:
            for body in itertools.islice(itertools.cycle(bodies), offset, None):
                if stop.is_set():
                    return
                try:
                    status = str(client.post(f"{url}/rpc", json=body).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    statuses[status] += 1
                first.set()

    workers = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    first.wait(300)
    print("ready", flush=True)
    sys.stdin.read()  # the test closes stdin to stop us
    stop.set()
    with lock:
        print(json.dumps(dict(statuses)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
