"""The read-only JSON-RPC window wallets use to add the network (``POST /rpc``).

Issue 14: finding 7 (parameters checked, small batches, a rate limit per client) and finding 9
(what an anonymous caller may read through the window: see :mod:`credit.chain.rpc_params`).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.gateway.ratelimit import SlidingWindowLimiter
from tests.support.world import World

ADDRESS = "0x" + "ab" * 20
HASH = "0x" + "cd" * 32
HUGE = "0x" + "f" * 40  # the fee-history block count that made anvil 1.7.1 exit


def _call(client: TestClient, method: str, *params: object) -> dict[str, Any]:
    r = client.post(
        "/rpc", json={"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}
    )
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    assert body["id"] == 7
    return body


def test_wallet_reads_work_and_writes_are_refused(client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    assert _call(client, "eth_chainId")["result"] == hex(w.w3.eth.chain_id)
    assert _call(client, "net_version")["result"] == str(w.w3.eth.chain_id)
    assert int(str(_call(client, "eth_blockNumber")["result"]), 16) == w.w3.eth.block_number
    balance = _call(client, "eth_getBalance", w.operator.address, "latest")["result"]
    assert int(str(balance), 16) == w.w3.eth.get_balance(w.operator.address)
    nonce = _call(client, "eth_getTransactionCount", w.operator.address, "latest")["result"]
    assert int(str(nonce), 16) == w.w3.eth.get_transaction_count(w.operator.address)
    code = _call(client, "eth_getCode", w.ledger.address, "latest")["result"]
    assert code == "0x" + bytes(w.w3.eth.get_code(w.ledger.address)).hex()
    block = _call(client, "eth_getBlockByNumber", "latest", False)["result"]
    # what wallets read (EIP-1559 detection by baseFeePerGas), in JSON-RPC's names and encoding
    assert block["hash"].startswith("0x") and block["baseFeePerGas"].startswith("0x")
    assert block["parentHash"].startswith("0x") and len(block["logsBloom"]) == 2 + 512
    by_hash = _call(client, "eth_getBlockByHash", block["hash"], False)["result"]
    assert by_hash == block
    assert _call(client, "eth_gasPrice")["result"].startswith("0x")
    assert "result" in _call(client, "eth_feeHistory", "0x4", "latest", [25, 75])
    refused = _call(client, "eth_sendRawTransaction", "0x00")
    assert refused["error"]["code"] == -32601
    batch = client.post("/rpc", json=[{"id": 1, "method": "eth_chainId"}, {"id": 2}]).json()
    assert batch[0]["result"] and batch[1]["error"]["code"] == -32600
    assert client.post("/rpc", content=b"{not json").json()["error"]["code"] == -32700
    config = client.get("/v1/config").json()
    assert config["wallet_rpc_urls"] == ["http://testserver/rpc"]


# -- finding 9: what the window shows an anonymous caller ------------------------------------


def test_contract_state_is_computed_only_for_the_deployments_contracts(
    client: TestClient, gateway_world: World
) -> None:
    """Issue 16 changed this decision: ``eth_call`` of the deployment's own contracts is served
    (auditors read ``creditOf``), within a gas cap; any other address, or gas estimation, is
    not."""
    w = gateway_world
    w.credit_one(w.residents[1])
    data = w.ledger.encode_abi("creditOf", [w.residents[1].address])
    call = {"from": w.residents[0].address, "to": w.ledger.address, "data": data}
    answer = _call(client, "eth_call", call, "latest")
    expected = w.ledger.functions.creditOf(w.residents[1].address).call()
    assert int(answer["result"], 16) == expected > 0, answer
    elsewhere = _call(client, "eth_call", {**call, "to": w.residents[0].address}, "latest")
    assert elsewhere["error"]["code"] == -32602, elsewhere
    assert "not one of this deployment's contracts" in elsewhere["error"]["message"]
    no_to = _call(client, "eth_call", {"data": "0x5b600056", "gas": "0xf4240"}, "latest")
    assert no_to["error"]["code"] == -32602 and "needs a to address" in no_to["error"]["message"]
    greedy = _call(client, "eth_call", {**call, "gas": hex(10**8)}, "latest")
    assert greedy["error"]["code"] == -32005 and "exceeds the limit" in greedy["error"]["message"]
    estimate = _call(client, "eth_estimateGas", call)
    assert "result" not in estimate and estimate["error"]["code"] == -32601
    assert "not available here" in estimate["error"]["message"]


def test_blocks_come_with_transaction_hashes_only(client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    receipt, _ = w.credit_one(w.residents[2])  # the latest block: one relay transaction
    tx = "0x" + bytes(receipt["transactionHash"]).hex()
    full = _call(client, "eth_getBlockByNumber", "latest", True)
    assert "result" not in full, "a full block (with claim calldata) was served"
    assert full["error"]["code"] == -32602 and "hashes only" in full["error"]["message"]
    header = _call(client, "eth_getBlockByNumber", hex(receipt["blockNumber"]), False)["result"]
    assert header["transactions"] == [tx]  # hashes, not bodies
    # issue 16: the deployment's transactions are read one by one (tests/gateway/test_rpc_audit)
    assert _call(client, "eth_getTransactionByHash", tx)["result"]["hash"] == tx
    storage = _call(client, "eth_getStorageAt", w.ledger.address, "0x0", "latest")
    assert "result" not in storage and storage["error"]["code"] == -32601, storage


# -- finding 7: every parameter checked before the node sees it ------------------------------


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        pytest.param("eth_feeHistory", [HUGE, "latest", [25, 75]], "block count", id="count-huge"),
        pytest.param("eth_feeHistory", ["0x401", "latest", []], "at most 0x400", id="count-1025"),
        pytest.param("eth_feeHistory", [2**70, "latest"], "1 to 1024", id="count-int-huge"),
        pytest.param("eth_feeHistory", ["0x0", "latest"], "1 to 1024", id="count-zero"),
        pytest.param("eth_feeHistory", ["0x4", HUGE], "the block", id="newest-huge"),
        pytest.param("eth_feeHistory", ["0x4", "latest", [75, 25]], "ascending", id="pct-order"),
        pytest.param("eth_feeHistory", ["0x4", "latest", [101]], "0 to 100", id="pct-range"),
        pytest.param("eth_feeHistory", ["0x4", "latest", [1] * 101], "at most 100", id="pct-many"),
        pytest.param("eth_feeHistory", ["0x4", "latest", "all"], "list", id="pct-type"),
        pytest.param("eth_getBalance", ["0x1234", "latest"], "40 hex digits", id="addr-short"),
        pytest.param("eth_getBalance", [7, "latest"], "40 hex digits", id="addr-type"),
        pytest.param("eth_getBalance", [ADDRESS, "newest"], "hex number or one of", id="tag"),
        pytest.param("eth_getBalance", [ADDRESS, "0x" + "1" * 17], "16 digits", id="num-long"),
        pytest.param("eth_getBalance", [ADDRESS, "0xffffffffffffffff"], "at most", id="num-64"),
        pytest.param("eth_getBalance", [ADDRESS, "0x-1"], "hex quantity", id="num-sign"),
        pytest.param("eth_getBalance", [ADDRESS, {"blockHash": HASH}], "hex number", id="eip1898"),
        pytest.param("eth_getBalance", [ADDRESS, "latest", 1], "1 to 2 parameters", id="extra"),
        pytest.param("eth_getBalance", [], "1 to 2 parameters", id="missing"),
        pytest.param("eth_getCode", ["0x" + "zz" * 20, "latest"], "40 hex digits", id="code"),
        pytest.param("eth_getTransactionCount", [ADDRESS, 5], "hex number", id="nonce-int"),
        pytest.param("eth_getBlockByNumber", ["latest"], "expected 2", id="block-arity"),
        pytest.param("eth_getBlockByNumber", ["latest", "false"], "must be false", id="full-str"),
        pytest.param("eth_getBlockByHash", ["0x1234", False], "64 hex digits", id="hash-short"),
        pytest.param("eth_blockNumber", ["latest"], "expected 0", id="no-params-expected"),
        pytest.param("eth_chainId", [1], "expected 0", id="chain-id-params"),
        pytest.param("eth_getBalance", {"address": ADDRESS}, "must be an array", id="by-name"),
        pytest.param("eth_getTransactionByHash", ["0x12"], "64 hex digits", id="tx-short"),
        pytest.param("eth_getTransactionReceipt", [HASH, 1], "expected 1", id="receipt-extra"),
        pytest.param("eth_getLogs", ["latest"], "must be an object", id="logs-type"),
        pytest.param("eth_getLogs", [{"address": ADDRESS}], "deployment's", id="logs-scope"),
        pytest.param("eth_call", ["0x00"], "must be an object", id="call-type"),
        pytest.param("eth_call", [{"to": ADDRESS}], "deployment's", id="call-scope"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_error(
    client: TestClient, method: str, params: Any, expected: str
) -> None:
    r = client.post("/rpc", json={"jsonrpc": "2.0", "id": 3, "method": method, "params": params})
    assert r.status_code == 200
    error = r.json().get("error")
    assert error is not None, f"{method}{params} answered {r.json()}"
    assert error["code"] == -32602 and expected in error["message"], error


def test_good_parameters_in_every_accepted_form_pass(client: TestClient) -> None:
    for method, params in [
        ("eth_feeHistory", ["0x400", "latest"]),
        ("eth_feeHistory", [4, "pending", [0, 50.5, 100]]),
        ("eth_getBalance", [ADDRESS.upper().replace("0X", "0x")]),  # block defaults to latest
        ("eth_getBalance", [ADDRESS, "0x00"]),
        ("eth_getBlockByNumber", ["0x7fffffffffffffff", False]),  # no such block: null
        ("eth_getBlockByHash", [HASH, False]),
        ("eth_blockNumber", None),
    ]:
        body = client.post("/rpc", json={"id": "x", "method": method, "params": params}).json()
        assert "result" in body and body["id"] == "x", (method, params, body)


# -- finding 7: small batches, a rate limit per client ---------------------------------------


def test_a_batch_holds_at_most_ten_calls(client: TestClient) -> None:
    calls = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(11)]
    too_many = client.post("/rpc", json=calls).json()
    assert isinstance(too_many, dict), "an eleven-call batch was run"
    assert too_many["error"]["code"] == -32600 and "at most 10" in too_many["error"]["message"]
    assert len(client.post("/rpc", json=calls[:10]).json()) == 10
    empty = client.post("/rpc", json=[]).json()
    assert empty["error"]["code"] == -32600
    odd_id = client.post("/rpc", json={"id": {"x": 1}, "method": "eth_chainId"}).json()
    assert odd_id["error"]["code"] == -32600 and odd_id["id"] is None


def test_each_client_has_a_rate_limit_counted_in_calls(client: TestClient) -> None:
    client.app.state.rpc_limiter = SlidingWindowLimiter(5, 60.0)  # type: ignore[attr-defined]
    assert "result" in _call(client, "eth_blockNumber")
    assert "result" in _call(client, "eth_chainId")
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(3)]
    assert all("result" in a for a in client.post("/rpc", json=batch).json())
    r = client.post("/rpc", json={"jsonrpc": "2.0", "id": 9, "method": "eth_blockNumber"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == -32005 and "wait" in r.json()["error"]["message"]


def test_the_default_rate_limit_comes_from_the_settings(client: TestClient) -> None:
    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    limit = settings.rpc_calls_per_minute
    assert 60 <= limit <= 10_000
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(10)]
    statuses = [client.post("/rpc", json=batch).status_code for _ in range(limit // 10 + 1)]
    assert statuses[: limit // 10] == [200] * (limit // 10) and statuses[-1] == 429


class Clock:
    """A hand-driven clock (seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_refused_batch_is_told_when_all_its_calls_fit(client: TestClient) -> None:
    clock = Clock()
    client.app.state.rpc_limiter = SlidingWindowLimiter(5, 60.0, clock=clock)  # type: ignore[attr-defined]

    def batch(n: int) -> Any:
        calls = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(n)]
        return client.post("/rpc", json=calls)

    assert batch(3).status_code == 200  # t = 0 s: three calls
    clock.t += 10
    assert batch(2).status_code == 200  # t = 10 s: the budget of five is spent
    clock.t += 10
    refused = batch(3)  # t = 20 s: room for three once the first three leave, at t = 60 s
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "40")
    clock.t += 40
    assert batch(3).status_code == 200
    assert batch(1).status_code == 429  # the refused batch was not counted, these three were
