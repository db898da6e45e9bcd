"""A read-only JSON-RPC window onto the chain, for wallets, auditors and residents' browsers.

Wallets ask for the chain id, blocks, balances and fees before they sign anything; auditors and
browsers that verify an epoch read the deployment's logs, transactions, receipts and views.
Residents never send transactions themselves (the gateway relays their signatures). Which methods
are served, and how their parameters are checked, is decided in :mod:`credit.chain.rpc_params`;
the embedded chain's answers are made standard JSON-RPC by :mod:`credit.chain.rpc_format`.

Every call here blocks (a node over HTTP, or the embedded chain behind its lock): the gateway runs
them in worker threads of their own. Over HTTP the window keeps its own connections with a short
timeout and no retries, so a node that hangs holds a thread for one time budget at most, and the
node's URL (which may carry credentials) is never part of an answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from eth_tester.exceptions import TransactionFailed
from web3 import Web3
from web3.exceptions import TransactionNotFound

from credit.chain import rpc_format
from credit.chain.node import LockedTesterProvider, rpc_endpoint
from credit.chain.rpc_params import (
    LIMIT_EXCEEDED,
    LOCAL_METHODS,
    MAX_LOG_BLOCKS,
    MAX_LOGS,
    RpcRefused,
    check_call,
    range_too_wide,
)
from credit.chain.tester_index import IndexedPyEVMBackend, range_logs
from credit.chain.transport import _KeepAlivePoster

__all__ = ["RpcRefused", "WalletRpc"]

UNAVAILABLE = -32002  # EIP-1474 "resource unavailable"
REVERTED = 3  # geth's "execution reverted", with the revert data
LOCKED_BLOCKS = 250  # blocks of a log range read per turn at the embedded chain's lock
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
        contracts: Iterable[str] = (),
    ) -> None:
        """Over a node at ``node_url`` (calls time out after ``timeout`` s) or an ``embedded``
        chain; exactly one of the two. ``contracts``: the deployment's addresses, the only ones
        whose logs, transactions and views are served."""
        if (node_url is None) == (embedded is None):
            raise ValueError("give either node_url or embedded")
        self.chain_id = chain_id
        self.timeout = timeout
        self.scope = frozenset(str(a).lower() for a in contracts)
        self._w3 = embedded
        self._poster = None if node_url is None else _KeepAlivePoster(node_url, timeout)

    @classmethod
    def over(
        cls, w3: Web3, chain_id: int, timeout: float, contracts: Iterable[str] = ()
    ) -> WalletRpc:
        """The window onto the chain ``w3`` talks to (its own connections if that is a node)."""
        endpoint = rpc_endpoint(w3)
        if endpoint is None:
            return cls(chain_id, timeout, embedded=w3, contracts=contracts)
        return cls(chain_id, timeout, node_url=endpoint[0], contracts=contracts)

    @property
    def embedded(self) -> bool:
        """True on the embedded chain (one lock: calls there should run one at a time)."""
        return self._poster is None

    def local(self, method: str) -> bool:
        """Whether ``method`` is answered without the node (no thread needed)."""
        return method in LOCAL_METHODS

    def answer(self, method: str, params: Any) -> Any:
        """The JSON-RPC result of ``method``; :class:`RpcRefused` for anything refused."""
        checked = check_call(method, params, self.scope)
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "net_version":
            return str(self.chain_id)
        if method == "web3_clientVersion":
            return "consensus-credit-gateway"
        if method == "eth_getLogs":
            return self._logs(checked[0])
        if method in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
            return self._transaction(method, checked[0])
        if self._poster is None:
            return self._embedded(method, checked)
        return self._node(method, checked)

    def _ask(self, method: str, params: list[Any]) -> Any:
        """``method`` on the chain, answered in standard JSON-RPC."""
        if self._poster is None:
            return self._embedded(method, params)
        return self._node(method, params)

    def _logs(self, query: dict[str, Any]) -> list[Any]:
        if "fromBlock" in query:
            first, last = self._number(query["fromBlock"]), self._number(query["toBlock"])
            if last - first + 1 > MAX_LOG_BLOCKS:
                raise range_too_wide(last - first + 1)
            query = {**query, "fromBlock": hex(first), "toBlock": hex(last)}
        if self._poster is None:
            found = self._embedded_logs(query)
        else:
            found = self._node("eth_getLogs", [query])
        if not isinstance(found, list):
            raise RpcRefused(UNAVAILABLE, "the chain answered eth_getLogs with something else")
        if len(found) > MAX_LOGS:
            raise RpcRefused(
                LIMIT_EXCEEDED,
                f"eth_getLogs query returned more than {MAX_LOGS} results: ask for a smaller "
                "block range",
            )
        return found

    def _number(self, block: str) -> int:
        if block.startswith("0x"):
            return int(block, 16)
        if block == "earliest":
            return 0
        return int(self._ask("eth_blockNumber", []), 16)

    def _transaction(self, method: str, tx_hash: str) -> Any:
        """A transaction or receipt, if it is one of the deployment's (sent to one of its
        contracts, or creating one); refused otherwise."""
        found = self._ask(method, [tx_hash])
        if found is None:
            return None
        if not isinstance(found, dict):
            raise RpcRefused(UNAVAILABLE, f"the chain answered {method} with something else")
        to = found.get("to")
        if to is None:  # a creation: is the created contract one of ours?
            receipt = (
                found
                if "contractAddress" in found
                else self._ask("eth_getTransactionReceipt", [tx_hash])
            )
            to = (receipt or {}).get("contractAddress")
        if to is None or str(to).lower() not in self.scope:
            raise RpcRefused(
                -32602,
                f"invalid params for {method}: {tx_hash} is not a transaction to this "
                "deployment's contracts; this window serves only theirs",
            )
        return found

    def _embedded(self, method: str, params: list[Any]) -> Any:
        assert self._w3 is not None
        request = self._w3.manager.request_blocking
        try:  # through web3's eth-tester formatters: JSON-RPC names and hex in, Python values out
            result = request(method, params)  # type: ignore[arg-type]
            if method in ("eth_getBlockByNumber", "eth_getBlockByHash") and result is not None:
                number = int(result["number"])
                return rpc_format.block(result, self._range_logs(number, number, [], []))
        except TransactionNotFound:
            return None
        except RpcRefused:
            raise
        except TransactionFailed as exc:
            raise RpcRefused(REVERTED, *rpc_format.revert(exc.args[0] if exc.args else "")) from exc
        except Exception as exc:
            raise RpcRefused(-32603, f"{method} failed on the chain: {type(exc).__name__}") from exc
        if result is None:
            return None
        if method == "eth_getTransactionReceipt":
            return rpc_format.receipt(result)
        if method == "eth_getLogs":
            return rpc_format.logs(result)
        return rpc_format.encode(result)

    def _embedded_logs(self, query: dict[str, Any]) -> list[Any]:
        if "blockHash" in query:
            block = self._embedded("eth_getBlockByHash", [query["blockHash"], False])
            if block is None:
                raise RpcRefused(
                    -32602, f"invalid params for eth_getLogs: no block {query['blockHash']}"
                )
            first = last = int(block["number"], 16)
        else:
            first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        try:
            return self._range_logs(first, last, query["address"], query.get("topics") or [])
        except RpcRefused:
            raise
        except Exception as exc:
            raise RpcRefused(
                -32603, f"eth_getLogs failed on the chain: {type(exc).__name__}"
            ) from exc

    def _range_logs(
        self, first: int, last: int, addresses: list[str], topics: list[Any]
    ) -> list[dict[str, Any]]:
        """Logs straight from py-evm (:func:`credit.chain.tester_index.range_logs`), or through
        eth-tester if the chain is not ours. The chain's lock is taken for
        :data:`LOCKED_BLOCKS` blocks at a time, so the relay and the indexer get their turns
        during a long range, and a range that takes longer than the window's time budget is
        refused (-32005: ask for fewer blocks) instead of holding its thread on."""
        assert self._w3 is not None
        provider = self._w3.provider
        backend = getattr(getattr(provider, "ethereum_tester", None), "backend", None)
        if isinstance(provider, LockedTesterProvider) and isinstance(backend, IndexedPyEVMBackend):
            last = min(last, int(self._w3.eth.block_number))
            deadline = time.monotonic() + self.timeout
            found: list[dict[str, Any]] = []
            for start in range(first, last + 1, LOCKED_BLOCKS):
                if time.monotonic() > deadline:
                    raise RpcRefused(
                        LIMIT_EXCEEDED,
                        f"eth_getLogs from block {first} to {last} exceeds the time limit of "
                        f"{self.timeout:g} s on this chain: ask for a smaller range",
                    )
                end = min(last, start + LOCKED_BLOCKS - 1)
                with provider.lock:
                    found += range_logs(backend, start, end, addresses, topics)
            return found
        query: dict[str, Any] = {"fromBlock": hex(first), "toBlock": hex(last), "topics": topics}
        if addresses:
            query["address"] = addresses
        return rpc_format.logs(self._w3.manager.request_blocking("eth_getLogs", [query]))  # type: ignore[arg-type]

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
            data = error.get("data") if isinstance(error.get("data"), str) else None
            raise RpcRefused(code if isinstance(code, int) else -32603, message, data)
        return response.get("result")
