"""The read-only JSON-RPC window wallets use to add the embedded network."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.world import World


def _call(client: TestClient, method: str, *params: object) -> dict[str, object]:
    r = client.post(
        "/rpc", json={"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}
    )
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


def test_wallet_reads_work_and_writes_are_refused(client: TestClient, gateway_world: World) -> None:
    w = gateway_world
    assert _call(client, "eth_chainId")["result"] == hex(w.w3.eth.chain_id)
    assert _call(client, "net_version")["result"] == str(w.w3.eth.chain_id)
    assert int(str(_call(client, "eth_blockNumber")["result"]), 16) == w.w3.eth.block_number
    balance = _call(client, "eth_getBalance", w.operator.address, "latest")["result"]
    assert int(str(balance), 16) == w.w3.eth.get_balance(w.operator.address)
    block = _call(client, "eth_getBlockByNumber", "latest", False)["result"]
    assert isinstance(block, dict) and str(block["hash"]).startswith("0x")
    refused = _call(client, "eth_sendRawTransaction", "0x00")
    assert refused["error"]["code"] == -32601  # type: ignore[index]
    batch = client.post("/rpc", json=[{"id": 1, "method": "eth_chainId"}, {"id": 2}]).json()
    assert batch[0]["result"] and batch[1]["error"]["code"] == -32600
    assert client.post("/rpc", content=b"{not json").json()["error"]["code"] == -32700
    config = client.get("/v1/config").json()
    assert config["wallet_rpc_urls"] == ["http://testserver/rpc"]
