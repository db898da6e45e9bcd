"""A read-only JSON-RPC window onto the chain, so that wallets can add the network.

Wallets ask for the chain id, blocks, balances and fees before they sign anything; residents never
send transactions themselves (the gateway relays their signatures). Which methods are served, and
how their parameters are checked, is decided in :mod:`credit.chain.rpc_params`.

Every call here blocks (a node over HTTP, or the embedded chain behind its lock): the gateway runs
them in worker threads of their own. Over HTTP the window keeps its own connections with a short
timeout and no retries, so a node that hangs holds a thread for one time budget at most, and the
node's URL (which may carry credentials) is never part of an answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from credit.chain.node import rpc_endpoint
from credit.chain.rpc_params import LOCAL_METHODS, RpcRefused, check_call
from credit.chain.transport import _KeepAlivePoster

__all__ = ["RpcRefused", "WalletRpc"]

UNAVAILABLE = -32002  # EIP-1474 "resource unavailable"
_MAX_NODE_MESSAGE = 200


class WalletRpc:
    """Answers wallets' JSON-RPC calls about one chain (blocking: call from a worker thread)."""

    def __init__(
        self,
        chain_id: int,
        timeout: float,
        *,
        node_url: str | None = None,
        embedded: Web3 | None = None,
    ) -> None:
        """Over a node at ``node_url`` (calls time out after ``timeout`` s) or an ``embedded``
        chain; exactly one of the two."""
        if (node_url is None) == (embedded is None):
            raise ValueError("give either node_url or embedded")
        self.chain_id = chain_id
        self.timeout = timeout
        self._w3 = embedded
        self._poster = None if node_url is None else _KeepAlivePoster(node_url, timeout)

    @classmethod
    def over(cls, w3: Web3, chain_id: int, timeout: float) -> WalletRpc:
        """The window onto the chain ``w3`` talks to (its own connections if that is a node)."""
        endpoint = rpc_endpoint(w3)
        if endpoint is None:
            return cls(chain_id, timeout, embedded=w3)
        return cls(chain_id, timeout, node_url=endpoint[0])

    @property
    def embedded(self) -> bool:
        """True on the embedded chain (one lock: calls there should run one at a time)."""
        return self._poster is None

    def local(self, method: str) -> bool:
        """Whether ``method`` is answered without the node (no thread needed)."""
        return method in LOCAL_METHODS

    def answer(self, method: str, params: Any) -> Any:
        """The JSON-RPC result of ``method``; :class:`RpcRefused` for anything refused."""
        checked = check_call(method, params)
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "net_version":
            return str(self.chain_id)
        if method == "web3_clientVersion":
            return "consensus-credit-gateway"
        if self._poster is None:
            return self._embedded(method, checked)
        return self._node(method, checked)

    def _embedded(self, method: str, params: list[Any]) -> Any:
        assert self._w3 is not None
        try:  # through web3's eth-tester formatters: JSON-RPC names and hex in, Python values out
            result = self._w3.manager.request_blocking(method, params)  # type: ignore[arg-type]
        except Exception as exc:
            raise RpcRefused(-32603, f"{method} failed on the chain: {type(exc).__name__}") from exc
        return _encode(result)

    def _node(self, method: str, params: list[Any]) -> Any:
        assert self._poster is not None
        request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        try:
            raw = self._poster.make_post_request(None, request.encode())
            response = json.loads(raw)
        except Exception as exc:  # never echo the transport's error: it names the node's URL
            # the transport raises NodeUnavailable for every failure, a timeout as its cause
            if isinstance(exc, TimeoutError) or isinstance(exc.__cause__, TimeoutError):
                message = f"the chain node did not answer within {self.timeout:g} s: try again"
            else:
                message = f"the chain node is unavailable ({type(exc).__name__}): try again"
            raise RpcRefused(UNAVAILABLE, message) from exc
        if not isinstance(response, dict):
            raise RpcRefused(UNAVAILABLE, "the chain node answered something else than JSON-RPC")
        error = response.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            message = str(error.get("message", "error"))[:_MAX_NODE_MESSAGE]
            raise RpcRefused(code if isinstance(code, int) else -32603, message)
        return response.get("result")


def _encode(value: Any, key: str = "") -> Any:
    """eth-tester's Python values as JSON-RPC: quantities and bytes as hex."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return "0x" + value.to_bytes(256, "big").hex() if key == "logsBloom" else hex(value)
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):  # web3's AttributeDict too
        return {k: _encode(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value
