"""The public ``/rpc`` window's log reads on the embedded chain (issue 16).

``python -m bench.bench_rpc [--blocks N] [--transactions T]`` builds two identical embedded chains
of ``N`` blocks, ``T`` of them holding one transfer that emits no log, spread evenly, and times
one ``eth_getLogs`` over the whole chain three ways:

- ``stock_eth_tester_seconds``: eth-tester's own ``PyEVMBackend`` (a transaction found by walking
  the chain back from its head, once per receipt);
- ``indexed_eth_tester_seconds``: the same request on :class:`IndexedPyEVMBackend` (py-evm's
  hash index; what every embedded chain of ours now uses);
- ``window_seconds``: the gateway's window (:class:`credit.chain.rpc_proxy.WalletRpc`), which
  reads the range straight from py-evm, 250 blocks per turn at the chain's lock.

It writes ``bench/results/rpc.json`` and prints a table. A benchmark reports, it does not fail.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from web3 import Web3

from credit.chain.node import LockedTesterProvider
from credit.chain.rpc_proxy import WalletRpc

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "rpc.json"


def _chain(backend: Any, blocks: int, transactions: int) -> Web3:
    from eth_tester import EthereumTester

    w3 = Web3(LockedTesterProvider(EthereumTester(backend)))
    tester = w3.provider.ethereum_tester  # type: ignore[attr-defined]
    sender, receiver = w3.eth.accounts[:2]
    gap = max(1, blocks // max(1, transactions))
    for _ in range(transactions):
        w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1})
        tester.mine_blocks(gap - 1)
    if w3.eth.block_number < blocks:
        tester.mine_blocks(blocks - w3.eth.block_number)
    return w3


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def measure(blocks: int, transactions: int) -> dict[str, Any]:
    from eth_tester import PyEVMBackend

    from credit.chain.tester_index import IndexedPyEVMBackend

    contract = "0x" + "11" * 20  # no logs anywhere: the cost is the walk, not the answer
    query = {"address": [contract], "fromBlock": "0x0", "toBlock": "latest"}
    figures: dict[str, Any] = {"blocks": blocks, "transactions": transactions}
    for name, backend in (("stock", PyEVMBackend()), ("indexed", IndexedPyEVMBackend())):
        w3 = _chain(backend, blocks, transactions)
        seconds, logs = _timed(lambda w3=w3: w3.manager.request_blocking("eth_getLogs", [query]))
        assert logs == []
        figures[f"{name}_eth_tester_seconds"] = round(seconds, 3)
        if name == "indexed":
            window = WalletRpc(int(w3.eth.chain_id), 60.0, embedded=w3, contracts=[contract])
            seconds, logs = _timed(lambda window=window: window.answer("eth_getLogs", [query]))
            assert logs == []
            figures["window_seconds"] = round(seconds, 3)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=2_000)
    parser.add_argument("--transactions", type=int, default=200)
    args = parser.parse_args(argv)
    figures = measure(args.blocks, args.transactions)
    figures["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    table = Table(
        title=f"eth_getLogs over {args.blocks:,} embedded blocks, "
        f"{args.transactions:,} with a transaction"
    )
    table.add_column("read")
    table.add_column("seconds", justify="right")
    for key, label in (
        ("stock_eth_tester_seconds", "eth-tester (walks the chain per receipt)"),
        ("indexed_eth_tester_seconds", "eth-tester on py-evm's hash index"),
        ("window_seconds", "the gateway's /rpc window (py-evm ranges)"),
    ):
        table.add_row(label, f"{figures[key]:.3f}")
    Console().print(table)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
