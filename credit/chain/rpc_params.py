"""What the wallets' JSON-RPC window accepts: each method it serves and the exact shape of its
parameters (pure: no node, no web3).

Decisions, held by ``tests/gateway/test_rpc.py``:

- Only what a wallet needs to add the network and show an account: the chain id, the head, a
  block header with its transaction hashes, balances, code, account nonces and fee estimates.
  Residents never send transactions (the gateway relays their signatures), so nothing that runs
  the EVM (``eth_call``, ``eth_estimateGas``) or reads transactions, receipts or logs is served:
  those facts are public on chain, but an auditor reads them from a city node (``credit audit
  --rpc-url``), not through an anonymous window of the gateway.
- Every parameter is checked before the node sees it, and a bad one is refused with ``-32602``
  saying what was expected: nodes have crashed on out-of-range input (anvil 1.7.1 exits on an
  ``eth_feeHistory`` block count of 2^160-1).
- Quantities are JSON-RPC hex (``0x0``, ``0x1f``; leading zeros tolerated) within 63 bits; fee
  history also takes a plain integer block count, as geth does. Block tags are the five named
  ones; EIP-1898 block objects are not needed by wallets and are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
MAX_QUANTITY = 2**63 - 1  # block numbers: what every node's integer types hold
MAX_FEE_HISTORY_BLOCKS = 1024  # geth's cap, and the most MetaMask asks for in one call
MAX_PERCENTILES = 100

_HEX_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,16}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601


class RpcRefused(Exception):
    """A JSON-RPC error with its code (EIP-1474), safe to show to the caller."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _bad(method: str, what: str) -> RpcRefused:
    return RpcRefused(INVALID_PARAMS, f"invalid params for {method}: {what}")


def _quantity(method: str, name: str, value: Any, upper: int = MAX_QUANTITY) -> int:
    if not isinstance(value, str) or not _HEX_QUANTITY.fullmatch(value):
        raise _bad(method, f"{name} must be a hex quantity such as 0x1f (at most 16 digits)")
    number = int(value, 16)
    if number > upper:
        raise _bad(method, f"{name} must be at most {hex(upper)}")
    return number


def _block(method: str, value: Any) -> str:
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, str) and value.startswith("0x"):
        return hex(_quantity(method, "the block", value))
    raise _bad(method, f"the block must be a hex number or one of {', '.join(sorted(BLOCK_TAGS))}")


def _address(method: str, value: Any) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise _bad(method, "the address must be 0x and 40 hex digits")
    return value.lower()


def _hash(method: str, value: Any) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise _bad(method, "the block hash must be 0x and 64 hex digits")
    return value.lower()


def _hashes_only(method: str, value: Any) -> bool:
    if value is not False:
        raise _bad(
            method,
            "the second parameter must be false: blocks are served with transaction hashes only "
            "(read transactions from a node of the city's network)",
        )
    return False


def _arity(method: str, params: list[Any], least: int, most: int) -> None:
    if not least <= len(params) <= most:
        count = str(least) if least == most else f"{least} to {most}"
        raise _bad(method, f"expected {count} parameters, got {len(params)}")


def _none(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 0, 0)
    return []


def _account_at(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 1, 2)
    block = _block(method, params[1]) if len(params) > 1 else "latest"
    return [_address(method, params[0]), block]


def _block_by_number(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 2, 2)
    return [_block(method, params[0]), _hashes_only(method, params[1])]


def _block_by_hash(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 2, 2)
    return [_hash(method, params[0]), _hashes_only(method, params[1])]


def _fee_history(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 2, 3)
    count = params[0]
    if isinstance(count, int) and not isinstance(count, bool):
        if not 1 <= count <= MAX_FEE_HISTORY_BLOCKS:
            raise _bad(method, f"the block count must be 1 to {MAX_FEE_HISTORY_BLOCKS}")
    else:
        count = _quantity(method, "the block count", count, MAX_FEE_HISTORY_BLOCKS)
        if count < 1:
            raise _bad(method, f"the block count must be 1 to {MAX_FEE_HISTORY_BLOCKS}")
    checked: list[Any] = [hex(count), _block(method, params[1])]
    if len(params) == 3:
        checked.append(_percentiles(method, params[2]))
    return checked


def _percentiles(method: str, value: Any) -> list[float | int]:
    if not isinstance(value, list) or len(value) > MAX_PERCENTILES:
        raise _bad(method, f"the reward percentiles must be a list of at most {MAX_PERCENTILES}")
    previous: float = 0
    for p in value:
        if isinstance(p, bool) or not isinstance(p, int | float) or not previous <= p <= 100:
            raise _bad(method, "the reward percentiles must be numbers from 0 to 100, ascending")
        previous = p
    return list(value)


Checker = Callable[[str, list[Any]], list[Any]]

# Served without asking the node (the gateway knows them).
LOCAL_METHODS = frozenset({"eth_chainId", "net_version", "web3_clientVersion"})
# Forwarded to the node once their parameters pass.
NODE_METHODS: dict[str, Checker] = {
    "eth_blockNumber": _none,
    "eth_gasPrice": _none,
    "eth_maxPriorityFeePerGas": _none,
    "eth_getBalance": _account_at,
    "eth_getCode": _account_at,
    "eth_getTransactionCount": _account_at,
    "eth_getBlockByNumber": _block_by_number,
    "eth_getBlockByHash": _block_by_hash,
    "eth_feeHistory": _fee_history,
}


def check_call(method: str, params: Any) -> list[Any]:
    """``params`` of ``method`` checked and in canonical form; :class:`RpcRefused` otherwise."""
    if method not in LOCAL_METHODS and method not in NODE_METHODS:
        raise RpcRefused(
            METHOD_NOT_FOUND,
            f"{method} is not available here: this window serves wallets only the chain id, "
            "blocks, balances and fees (the gateway relays every signed claim)",
        )
    if params is None:
        params = []
    if not isinstance(params, list):
        raise _bad(method, "params must be an array")
    if method in LOCAL_METHODS:
        return _none(method, params)
    return NODE_METHODS[method](method, params)
