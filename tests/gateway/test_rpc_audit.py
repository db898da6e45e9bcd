"""Issue 16: the public ``POST /rpc`` serves auditors and browsers the deployment's own facts in
standard JSON-RPC (hex quantities and tags in, camelCase out), bounded and restricted to the
deployment's contracts; ``cast`` (foundry) reads the embedded chain through it over real HTTP.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.chain.rpc_params import MAX_LOG_BLOCKS
from credit.chain.rpc_proxy import LOCKED_BLOCKS, RpcRefused, WalletRpc
from credit.gateway.app import create_app
from credit.gateway.services import Services
from tests.support.live_server import served
from tests.support.world import World

CAST = Path(__file__).resolve().parents[2] / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
RECEIPT_FIELDS = {
    "blockHash", "blockNumber", "contractAddress", "cumulativeGasUsed", "effectiveGasPrice",
    "from", "gasUsed", "logs", "logsBloom", "status", "to", "transactionHash",
    "transactionIndex", "type",
}  # fmt: skip


def _call(client: TestClient, method: str, *params: object) -> dict[str, Any]:
    r = client.post(
        "/rpc", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _result(client: TestClient, method: str, *params: object) -> Any:
    body = _call(client, method, *params)
    assert "result" in body, (method, params, body)
    return body["result"]


def _refused(client: TestClient, method: str, *params: object) -> dict[str, Any]:
    body = _call(client, method, *params)
    assert "result" not in body, f"{method}{params} answered {body}"
    error: dict[str, Any] = body["error"]
    return error


def _snake(value: Any) -> list[str]:
    """Every snake_case key anywhere in ``value``."""
    if isinstance(value, dict):
        return [k for k in value if "_" in k] + [s for v in value.values() for s in _snake(v)]
    if isinstance(value, list):
        return [s for v in value for s in _snake(v)]
    return []


@pytest.fixture
def credited(services: Services, gateway_world: World) -> tuple[str, int]:
    """One relayed record (rolled back with the test's services): its transaction and block."""
    w = gateway_world
    receipt, _ = w.credit_one(w.residents[0])
    return "0x" + bytes(receipt["transactionHash"]).hex(), int(receipt["blockNumber"])


def test_blocks_transactions_receipts_and_logs_are_standard_json_rpc(
    client: TestClient, gateway_world: World, credited: tuple[str, int]
) -> None:
    w = gateway_world
    tx_hash, number = credited
    block = _result(client, "eth_getBlockByNumber", hex(number), False)
    assert block == _result(client, "eth_getBlockByNumber", "0x" + f"{number:04x}", False)
    assert int(block["number"], 16) == number and block["transactions"] == [tx_hash]
    assert {"parentHash", "miner", "stateRoot", "gasLimit", "baseFeePerGas"} <= set(block)
    tx = _result(client, "eth_getTransactionByHash", tx_hash)
    assert tx["hash"] == tx_hash and tx["to"].lower() == w.ledger.address.lower()
    assert tx["blockNumber"] == hex(number) and tx["input"].startswith("0x")
    assert tx["yParity"] in ("0x0", "0x1") and tx["chainId"] == hex(w.w3.eth.chain_id)
    receipt = _result(client, "eth_getTransactionReceipt", tx_hash)
    assert set(receipt) >= RECEIPT_FIELDS and receipt["status"] == "0x1"
    assert receipt["logs"] and all(not log["removed"] for log in receipt["logs"])
    logs = _result(
        client,
        "eth_getLogs",
        {"address": w.ledger.address, "fromBlock": hex(number), "toBlock": hex(number)},
    )
    # each log also says its block's time (geth's and anvil's blockTimestamp): a replay needs
    # no header read per block
    assert logs and all(log.pop("blockTimestamp") == block["timestamp"] for log in logs)
    assert logs == [log for log in receipt["logs"] if log["address"] == w.ledger.address.lower()]
    assert _snake([block, tx, receipt, logs]) == []
    # every quantity is hex, and the blooms hold the logs (block and receipt alike)
    quantities = {k: v for k, v in tx.items() if k != "accessList"}
    assert all(isinstance(v, str) and v.startswith("0x") for v in quantities.values()), tx
    bloom = int(receipt["logsBloom"], 16)
    assert (
        len(receipt["logsBloom"]) == 2 + 512
        and bloom
        and block["logsBloom"] == receipt["logsBloom"]
    )
    ledger_topics = [log["topics"][0] for log in logs]
    only = _result(
        client,
        "eth_getLogs",
        {"address": [w.ledger.address], "fromBlock": "earliest", "topics": [ledger_topics[:1]]},
    )
    assert only and all(log["topics"][0] == ledger_topics[0] for log in only)


def test_embedded_logs_read_from_py_evm_equal_eth_testers(
    gateway_world: World, credited: tuple[str, int]
) -> None:
    """The window reads the embedded chain's logs straight from py-evm (eth-tester's own
    eth_getLogs walks the chain once per receipt): the same logs, in the same order."""
    from credit.chain import rpc_format
    from credit.chain.tester_index import range_logs

    w = gateway_world
    backend = w.w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    ours = [w.ledger.address.lower(), w.system.rule_book.address.lower()]
    head = w.w3.eth.block_number
    for addresses, topics in [(ours, []), ([], []), (ours[:1], [None, None])]:
        query: dict[str, Any] = {"fromBlock": "0x0", "toBlock": hex(head), "topics": topics}
        if addresses:
            query["address"] = addresses
        slow = rpc_format.logs(w.w3.manager.request_blocking("eth_getLogs", [query]))
        fast = range_logs(backend, 0, head, addresses, topics)
        times = {log["blockNumber"]: log.pop("blockTimestamp") for log in fast}
        assert fast == slow and len(slow) > 10
        assert all(
            times[number] == hex(w.w3.eth.get_block(int(number, 16))["timestamp"])
            for number in times
        )
    first = range_logs(backend, 0, head, ours, [])[0]["topics"][0]
    picked = range_logs(backend, 0, head, ours, [[first]])
    assert picked and all(log["topics"][0] == first for log in picked)
    # the window reads in turns at the chain's lock, and stops at its time budget
    w.w3.provider.ethereum_tester.mine_blocks(2 * LOCKED_BLOCKS)  # type: ignore[attr-defined]
    w.credit_one(w.residents[1])  # logs after the empty stretch too
    head = w.w3.eth.block_number
    query = {"address": ours, "fromBlock": "0x0", "toBlock": "latest"}
    window = WalletRpc(w.w3.eth.chain_id, 5.0, embedded=w.w3, contracts=ours)
    assert window.answer("eth_getLogs", [query]) == range_logs(backend, 0, head, ours, [])
    hurried = WalletRpc(w.w3.eth.chain_id, 1e-9, embedded=w.w3, contracts=ours)
    with pytest.raises(RpcRefused) as refused:
        hurried.answer("eth_getLogs", [query])
    assert refused.value.code == -32005 and "smaller range" in str(refused.value)


def test_reads_outside_the_deployment_or_its_bounds_are_refused(
    client: TestClient, gateway_world: World, credited: tuple[str, int]
) -> None:
    w = gateway_world
    stranger = w.residents[1].address
    for query, expected in [
        ({"fromBlock": "0x0"}, "needs an address"),
        ({"address": stranger, "fromBlock": "0x0"}, "not one of this deployment's contracts"),
        ({"address": [w.ledger.address, stranger]}, "not one of this deployment's contracts"),
        ({"address": w.ledger.address, "topics": ["0x12"]}, "64 hex digits"),
        ({"address": w.ledger.address, "blockHash": "0x" + "00" * 32, "toBlock": "0x1"}, "either"),
        ({"address": w.ledger.address, "limit": 5}, "unknown filter fields"),
    ]:
        error = _refused(client, "eth_getLogs", query)
        assert error["code"] == -32602 and expected in error["message"], (query, error)
    wide = {"address": w.ledger.address, "fromBlock": "0x0", "toBlock": hex(MAX_LOG_BLOCKS)}
    error = _refused(client, "eth_getLogs", wide)
    assert error["code"] == -32005 and "exceeds the limit of 5000" in error["message"]
    # a tag is resolved before the range is checked
    head = int(_result(client, "eth_blockNumber"), 16)
    if head >= MAX_LOG_BLOCKS:  # pragma: no cover - the test chain is short
        pytest.skip("the chain is longer than one log range")
    assert _result(client, "eth_getLogs", {**wide, "toBlock": "latest"})
    # a transfer of the test chain's funding: not the deployment's
    funding = w.w3.eth.send_transaction(
        {"from": w.w3.eth.accounts[0], "to": stranger, "value": 1}
    ).to_0x_hex()
    for method in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
        error = _refused(client, method, funding)
        assert (
            error["code"] == -32602 and "not a transaction to this deployment" in error["message"]
        )
        assert _result(client, method, "0x" + "ab" * 32) is None  # unknown: null, as nodes say
    creation = w.system.record.contracts["CreditLedger"].tx_hash
    assert _result(client, "eth_getTransactionReceipt", creation)["contractAddress"] == (
        w.ledger.address.lower()
    )


def test_a_reverting_call_answers_execution_reverted_with_its_data(
    client: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    data = w.ledger.encode_abi("grantRole", [b"\x00" * 32, w.residents[0].address])
    error = _refused(
        client, "eth_call", {"from": w.residents[0].address, "to": w.ledger.address, "data": data}
    )
    assert error["code"] == 3 and error["message"].startswith("execution reverted")
    assert error["data"].startswith("0x") and len(error["data"]) >= 10  # the custom error


@pytest.fixture
def live_rpc(services: Services) -> Iterator[str]:
    """The gateway under uvicorn on a loopback port (real HTTP for cast)."""
    with served(create_app(services)) as url:
        yield f"{url}/rpc"


def _cast(*args: str) -> str:
    if not CAST.exists():
        raise RuntimeError(f"{CAST} is missing: run `make install` (npm ci)")
    done = subprocess.run([str(CAST), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"cast {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def test_cast_reads_the_embedded_chain_through_the_window(
    live_rpc: str, gateway_world: World, credited: tuple[str, int]
) -> None:
    w = gateway_world
    tx_hash, number = credited
    assert _cast("chain-id", "--rpc-url", live_rpc) == str(w.w3.eth.chain_id)
    block = _cast("block", str(number), "--json", "--rpc-url", live_rpc)
    assert tx_hash in block and f'"number":"{hex(number)}"' in block.replace(" ", "")
    receipt = _cast("receipt", tx_hash, "--json", "--rpc-url", live_rpc)
    assert '"status":"0x1"' in receipt.replace(" ", "")
    logs = _cast(
        "logs",
        "--from-block", str(number), "--to-block", str(number),
        "--address", w.ledger.address,
        "--json", "--rpc-url", live_rpc,
    )  # fmt: skip
    assert tx_hash in logs
    credit = _cast(
        "call", w.ledger.address, "creditOf(address)(uint256)", w.residents[0].address,
        "--rpc-url", live_rpc,
    )  # fmt: skip
    assert int(credit.split()[0]) == w.credit(w.residents[0])


def test_an_auditor_waits_out_the_rate_limit_as_it_is_asked(services: Services) -> None:
    """``credit audit`` reads with patience (``rpc_web3(patience=...)``): on a 429 it waits the
    ``Retry-After`` seconds and retries instead of giving up; without patience the 429 stands."""
    from credit.chain import rpc_web3
    from credit.errors import NodeUnavailable
    from credit.gateway.ratelimit import SlidingWindowLimiter

    app = create_app(services)
    with served(app) as url:
        app.state.rpc_limiter = SlidingWindowLimiter(2, 60.0)
        hasty = rpc_web3(f"{url}/rpc", timeout=10)  # its probe is the first call
        hasty.eth.get_block_number()
        with pytest.raises(NodeUnavailable, match="429"):
            hasty.eth.get_block_number()
        app.state.rpc_limiter = SlidingWindowLimiter(2, 1.0)
        patient = rpc_web3(f"{url}/rpc", timeout=10, patience=10)
        start = time.monotonic()
        heads = [patient.eth.get_block_number() for _ in range(5)]
        assert len(set(heads)) == 1 and time.monotonic() - start >= 1  # it had to wait
