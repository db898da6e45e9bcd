"""Issue 14, finding 7, against a real node: the window's parameter checks keep anvil alive, and
a node that stops answering costs a caller one time budget, not the gateway's threads."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from credit.artifacts import Artifact
from credit.chain import Transactor, rpc_web3
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.schema import create_schema
from tests.support.anvil import anvil
from tests.support.world import World, build_world

HUGE = "0x" + "f" * 40


@pytest.fixture(scope="module")
def node_world(artifacts: dict[str, Artifact], ruleset: RuleSet) -> Iterator[tuple[str, World]]:
    with anvil() as url:
        yield url, build_world(rpc_web3(url), artifacts, ruleset, residents=2)


@pytest.fixture
def node_client(node_world: tuple[str, World], tmp_path: Path) -> Iterator[TestClient]:
    _, world = node_world
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        siwe_domain="testserver",
        siwe_uri="http://testserver",
    )
    engine = make_engine(settings.database)
    create_schema(engine)
    relayer = Transactor(
        world.w3, Account.from_key(settings.relayer_private_key()), world.system.decoder
    )
    services = Services(settings, engine, world.system, world.ruleset, relayer)
    with TestClient(create_app(services)) as client:
        yield client
    engine.dispose()


def _rpc(client: TestClient, method: str, *params: object) -> dict[str, object]:
    r = client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


def test_the_fee_history_that_crashed_anvil_is_refused_and_the_node_stays_up(
    node_world: tuple[str, World], node_client: TestClient
) -> None:
    url, _ = node_world
    answer = _rpc(node_client, "eth_feeHistory", HUGE, "latest", [25, 75])
    alive = rpc_web3(url, timeout=5) if _answers(url) else None
    assert alive is not None, f"anvil is gone after {answer}"
    assert answer["error"]["code"] == -32602  # type: ignore[index]
    assert "block count" in answer["error"]["message"]  # type: ignore[index]
    assert alive.eth.block_number >= 0


def test_wallet_reads_are_served_from_a_real_node(
    node_world: tuple[str, World], node_client: TestClient
) -> None:
    _, world = node_world
    assert _rpc(node_client, "eth_chainId")["result"] == hex(world.w3.eth.chain_id)
    head = int(str(_rpc(node_client, "eth_blockNumber")["result"]), 16)
    assert head == world.w3.eth.block_number
    block = _rpc(node_client, "eth_getBlockByNumber", hex(head), False)["result"]
    assert isinstance(block, dict) and "baseFeePerGas" in block
    assert all(isinstance(t, str) and len(t) == 66 for t in block["transactions"])
    fees = _rpc(node_client, "eth_feeHistory", "0x400", "latest", [10, 50, 90])["result"]
    assert isinstance(fees, dict) and "oldestBlock" in fees
    balance = _rpc(node_client, "eth_getBalance", world.operator.address, "latest")["result"]
    assert int(str(balance), 16) == world.w3.eth.get_balance(world.operator.address)
    node_error = _rpc(node_client, "eth_getBalance", world.operator.address, hex(head + 10**6))
    assert isinstance(node_error.get("error"), dict)  # the node's own refusal, passed on
    # issue 16: the deployment's logs and transactions, from the node, still within bounds
    creation = world.system.record.contracts["CreditLedger"].tx_hash
    receipt = _rpc(node_client, "eth_getTransactionReceipt", creation)["result"]
    assert isinstance(receipt, dict) and receipt["contractAddress"] == world.ledger.address.lower()
    logs = _rpc(node_client, "eth_getLogs", {"address": world.ledger.address, "fromBlock": "0x0"})
    assert isinstance(logs["result"], list) and logs["result"], logs
    transfer = world.w3.eth.send_transaction(
        {"from": world.w3.eth.accounts[0], "to": world.operator.address, "value": 1}
    )
    world.w3.eth.wait_for_transaction_receipt(transfer)
    stranger = _rpc(node_client, "eth_getTransactionByHash", transfer.to_0x_hex())
    assert stranger["error"]["code"] == -32602, stranger  # type: ignore[index]


def _answers(url: str) -> bool:
    try:
        return rpc_web3(url, timeout=5).eth.block_number >= 0
    except Exception:
        return False


@pytest.fixture
def silent_node() -> Iterator[tuple[str, int]]:
    """A loopback port that accepts connections (into its backlog) and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        host, port = silent.getsockname()
        yield host, port


def test_a_node_that_never_answers_costs_one_time_budget(silent_node: tuple[str, int]) -> None:
    from credit.chain.rpc_proxy import RpcRefused, WalletRpc

    host, port = silent_node
    proxy = WalletRpc(31337, 0.5, node_url=f"http://user:pw@{host}:{port}/")
    start = time.monotonic()
    with pytest.raises(RpcRefused) as refused:
        proxy.answer("eth_blockNumber", [])
    spent = time.monotonic() - start
    assert refused.value.code == -32002 and "did not answer within 0.5 s" in str(refused.value)
    assert "user" not in str(refused.value) and str(port) not in str(refused.value)
    assert spent < 10  # one budget (0.5 s), not web3's 30 s timeout with retries


def test_a_request_stops_at_its_time_budget(
    services: Services, tmp_path: Path, silent_node: tuple[str, int]
) -> None:
    """Ten calls to a silent node, 0.5 s each, in a request with a budget of 1 s: the calls left
    when the budget is spent are answered at once instead of waiting their turn."""
    from credit.chain.rpc_proxy import WalletRpc

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        rpc_time_budget_seconds=1,
    )
    app = create_app(dataclasses.replace(services, settings=settings))
    host, port = silent_node
    app.state.rpc_window = WalletRpc(31337, 0.5, node_url=f"http://{host}:{port}/")
    calls = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(10)]
    with TestClient(app) as client:
        answers = client.post("/rpc", json=calls).json()
    assert [a["id"] for a in answers] == list(range(10))
    assert all(a["error"]["code"] == -32002 for a in answers)
    cut = [a for a in answers if "not answered within this request's 1 s" in a["error"]["message"]]
    assert len(cut) >= 5, answers  # without the budget each would have waited 0.5 s more
