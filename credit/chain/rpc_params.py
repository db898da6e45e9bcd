"""What the public JSON-RPC window accepts: each method it serves and the exact shape of its
parameters (pure: no node, no web3).

Decisions, held by ``tests/gateway/test_rpc.py`` and ``tests/gateway/test_rpc_audit.py``:

- Two kinds of caller. Wallets add the network and show an account: the chain id, the head, a
  block header with its transaction hashes, balances, code, account nonces and fee estimates.
  Auditors and residents' browsers verify the deployment: its logs (``eth_getLogs``), its
  transactions and receipts, ``eth_call`` of its contracts, and the block headers that date an
  epoch. Residents never send transactions (the gateway relays their signatures), so nothing that
  writes is served.
- Issue 16 changed the old decision, "an auditor reads logs from a city node, never through the
  gateway": the demo city (and any city on the embedded chain) has no other node, so it could not
  be audited at all. Serving these reads is safe because every fact they return is public on
  chain already (events, calldata, receipts and views of contracts anyone may call), and because
  they are bounded: only the deployment's own contracts (the addresses of its deployment file: no
  one else's calldata or state is served), at most :data:`MAX_LOG_BLOCKS` blocks and
  :data:`MAX_LOGS` logs per ``eth_getLogs`` (``-32005``, which auditors answer by asking for a
  smaller range), ``eth_call`` with at most :data:`MAX_CALL_GAS` gas, and every call counted by
  the window's rate limit and time budget (``credit.gateway.routes.rpc``).
- Full blocks (``eth_getBlockByNumber`` with ``true``) stay refused: a block may hold another
  contract's transactions; a deployment's own are read one by one by hash.
- Every parameter is checked before the node sees it, and a bad one is refused with ``-32602``
  saying what was expected: nodes have crashed on out-of-range input (anvil 1.7.1 exits on an
  ``eth_feeHistory`` block count of 2^160-1).
- Quantities are JSON-RPC hex (``0x0``, ``0x1f``; leading zeros tolerated) within 63 bits; fee
  history also takes a plain integer block count, as geth does. Block tags are the five named
  ones; EIP-1898 block objects are not needed and are refused. Answers are standard JSON-RPC
  (camelCase fields, hex quantities), as geth and anvil give them
  (:mod:`credit.chain.rpc_format`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
MAX_QUANTITY = 2**63 - 1  # block numbers: what every node's integer types hold
MAX_FEE_HISTORY_BLOCKS = 1024  # geth's cap, and the most MetaMask asks for in one call
MAX_PERCENTILES = 100
MAX_LOG_BLOCKS = 5_000  # blocks one eth_getLogs may span (Alchemy and Infura cap ranges alike)
MAX_LOGS = 10_000  # logs one eth_getLogs may return (Infura's cap)
MAX_TOPIC_CHOICES = 16  # hashes one topic position may list
MAX_CALL_GAS = 1_000_000  # eth_call: the deployment's views need well under 100,000

_HEX_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,16}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX_DATA = re.compile(r"0x[0-9a-fA-F]*")

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
LIMIT_EXCEEDED = -32005  # EIP-1474


class RpcRefused(Exception):
    """A JSON-RPC error with its code (EIP-1474), safe to show to the caller."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data  # a revert's data (hex), passed on as the error's data


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


def _hash(method: str, value: Any, what: str = "the block hash") -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise _bad(method, f"{what} must be 0x and 64 hex digits")
    return value.lower()


def _hex_data(method: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not _HEX_DATA.fullmatch(value) or len(value) % 2:
        raise _bad(method, f"{name} must be 0x and an even number of hex digits")
    return value.lower()


def _hashes_only(method: str, value: Any) -> bool:
    if value is not False:
        raise _bad(
            method,
            "the second parameter must be false: blocks are served with transaction hashes only "
            "(read the deployment's transactions one by one with eth_getTransactionByHash)",
        )
    return False


def _ours(method: str, value: Any, scope: frozenset[str], name: str = "the address") -> str:
    address = _address(method, value)
    if address not in scope:
        raise _bad(
            method,
            f"{name} {value} is not one of this deployment's contracts: this window serves "
            f"only {', '.join(sorted(scope)) or 'none'}",
        )
    return address


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


def _get_logs(method: str, params: list[Any], scope: frozenset[str]) -> list[Any]:
    _arity(method, params, 1, 1)
    query = params[0]
    if not isinstance(query, dict):
        raise _bad(method, "the filter must be an object")
    unknown = set(query) - {"address", "fromBlock", "toBlock", "blockHash", "topics"}
    if unknown:
        raise _bad(method, f"unknown filter fields: {', '.join(sorted(unknown))}")
    addresses = query.get("address")
    if addresses is None:
        raise _bad(
            method,
            "the filter needs an address (or a list of them) among this deployment's contracts",
        )
    listed = addresses if isinstance(addresses, list) else [addresses]
    if not listed:
        raise _bad(method, "the address list is empty")
    checked: dict[str, Any] = {"address": sorted({_ours(method, a, scope) for a in listed})}
    if "blockHash" in query:
        if "fromBlock" in query or "toBlock" in query:
            raise _bad(method, "give either blockHash or fromBlock/toBlock, not both")
        checked["blockHash"] = _hash(method, query["blockHash"])
    else:
        checked["fromBlock"] = _block(method, query.get("fromBlock", "latest"))
        checked["toBlock"] = _block(method, query.get("toBlock", "latest"))
        first, last = checked["fromBlock"], checked["toBlock"]
        if first.startswith("0x") and last.startswith("0x"):
            span = int(last, 16) - int(first, 16) + 1
            if span > MAX_LOG_BLOCKS:
                raise range_too_wide(span)
    if query.get("topics") is not None:
        checked["topics"] = _topics(method, query["topics"])
    return [checked]


def range_too_wide(span: int) -> RpcRefused:
    """The refusal of an ``eth_getLogs`` range of ``span`` blocks (over :data:`MAX_LOG_BLOCKS`)."""
    return RpcRefused(
        LIMIT_EXCEEDED,
        f"eth_getLogs block range of {span} blocks exceeds the limit of {MAX_LOG_BLOCKS}: "
        "ask for a smaller range",
    )


def _topics(method: str, value: Any) -> list[Any]:
    if not isinstance(value, list) or len(value) > 4:
        raise _bad(method, "topics must be a list of at most 4 entries")
    out: list[Any] = []
    for entry in value:
        if entry is None:
            out.append(None)
        elif isinstance(entry, list):
            if not entry or len(entry) > MAX_TOPIC_CHOICES:
                raise _bad(method, f"a topic list holds 1 to {MAX_TOPIC_CHOICES} hashes")
            out.append([_hash(method, t, "a topic") for t in entry])
        else:
            out.append(_hash(method, entry, "a topic"))
    return out


def _transaction(method: str, params: list[Any]) -> list[Any]:
    _arity(method, params, 1, 1)
    return [_hash(method, params[0], "the transaction hash")]


_CALL_FIELDS = frozenset({"from", "to", "data", "input", "gas", "value"})
# Sent by clients (cast adds chainId), meaningless to a read: accepted and not forwarded.
_IGNORED_CALL_FIELDS = frozenset(
    {"chainId", "nonce", "type", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "accessList"}
)


def _call(method: str, params: list[Any], scope: frozenset[str]) -> list[Any]:
    _arity(method, params, 1, 2)
    call = params[0]
    if not isinstance(call, dict):
        raise _bad(method, "the call must be an object with to and data")
    unknown = set(call) - _CALL_FIELDS - _IGNORED_CALL_FIELDS
    if unknown:
        raise _bad(method, f"unsupported call fields: {', '.join(sorted(unknown))}")
    if "to" not in call:
        raise _bad(method, "the call needs a to address among this deployment's contracts")
    checked: dict[str, Any] = {"to": _ours(method, call["to"], scope, "to")}
    if call.get("from") is not None:
        checked["from"] = _address(method, call["from"])
    data = call.get("input", call.get("data"))
    if "input" in call and "data" in call and call["input"] != call["data"]:
        raise _bad(method, "input and data differ: give one of them")
    if data is not None:
        checked["data"] = _hex_data(method, "the call data", data)
    gas = MAX_CALL_GAS
    if call.get("gas") is not None:
        gas = _quantity(method, "gas", call["gas"])
        if gas > MAX_CALL_GAS:
            raise RpcRefused(
                LIMIT_EXCEEDED,
                f"eth_call gas {gas} exceeds the limit of {MAX_CALL_GAS} on this window",
            )
    checked["gas"] = hex(gas)
    if call.get("value") is not None and _quantity(method, "value", call["value"]) != 0:
        raise _bad(method, "value must be 0: this window runs views, it sends nothing")
    block = _block(method, params[1]) if len(params) > 1 else "latest"
    return [checked, block]


Checker = Callable[[str, list[Any]], list[Any]]
ScopedChecker = Callable[[str, list[Any], frozenset[str]], list[Any]]

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
    "eth_getTransactionByHash": _transaction,
    "eth_getTransactionReceipt": _transaction,
}
# Forwarded once their parameters pass and name only the deployment's contracts.
SCOPED_METHODS: dict[str, ScopedChecker] = {
    "eth_getLogs": _get_logs,
    "eth_call": _call,
}


def check_call(method: str, params: Any, scope: frozenset[str] = frozenset()) -> list[Any]:
    """``params`` of ``method`` checked and in canonical form; :class:`RpcRefused` otherwise.
    ``scope``: the deployment's contract addresses (lowercase), all that logs and calls may name."""
    if method not in LOCAL_METHODS and method not in NODE_METHODS and method not in SCOPED_METHODS:
        raise RpcRefused(
            METHOD_NOT_FOUND,
            f"{method} is not available here: this window serves the chain id, block headers, "
            "balances and fees, and the deployment's logs, transactions, receipts and views "
            "(the gateway relays every signed claim)",
        )
    if params is None:
        params = []
    if not isinstance(params, list):
        raise _bad(method, "params must be an array")
    if method in LOCAL_METHODS:
        return _none(method, params)
    if method in SCOPED_METHODS:
        return SCOPED_METHODS[method](method, params, scope)
    return NODE_METHODS[method](method, params)
