"""A read-only JSON-RPC window onto the chain, so that wallets can add the (embedded) network.

Wallets ask for the chain id, blocks, balances and fees before they sign anything; residents never
send transactions themselves (the gateway relays their signatures), so writes are refused.
"""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3

READ_METHODS = frozenset(
    {
        "eth_chainId",
        "net_version",
        "eth_blockNumber",
        "eth_getBalance",
        "eth_getCode",
        "eth_getTransactionCount",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_gasPrice",
        "eth_maxPriorityFeePerGas",
        "eth_feeHistory",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_call",
        "eth_estimateGas",
        "web3_clientVersion",
    }
)


class RpcRefused(Exception):
    """A JSON-RPC error with its code (EIP-1474)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def forward(w3: Web3, method: str, params: list[Any]) -> Any:
    """The result of a read-only ``method``, JSON-RPC encoded (quantities and bytes as hex)."""
    if method not in READ_METHODS:
        raise RpcRefused(-32601, f"{method} is not available here: the gateway relays writes")
    if method == "net_version":
        return str(int(w3.eth.chain_id))
    if method == "web3_clientVersion":
        return "consensus-credit-gateway"
    try:
        response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    except Exception as exc:  # the node refused the request's content
        raise RpcRefused(-32602, f"{method}: {exc}") from exc
    if "error" in response:
        error = response["error"]
        raise RpcRefused(int(error.get("code", -32603)), str(error.get("message", error)))
    return _encode(response.get("result"))


def _encode(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value
