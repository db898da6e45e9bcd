"""The embedded chain's answers as standard Ethereum JSON-RPC (what geth and anvil send).

web3 over eth-tester gives Python values: integers, bytes, a few snake_case names web3 does not
rename (``y_parity``, ``state_root``), a zero ``logsBloom`` and receipts without one. Clients
such as ``cast`` (alloy) deserialize strictly: every quantity hex, every field in camelCase, a
256-byte bloom in blocks and receipts. This module turns web3's values into that shape.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi import encode as abi_encode
from eth_bloom import BloomFilter
from hexbytes import HexBytes

BLOOM_BYTES = 256
_SNAKE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``y_parity`` → ``yParity``; camelCase names are kept."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


_ADDRESS_FIELDS = frozenset({"address", "from", "to", "miner", "contractAddress"})


def encode(value: Any, key: str = "") -> Any:
    """web3's Python values as JSON-RPC: quantities and bytes as hex, names in camelCase,
    addresses in lowercase (web3 checksums them; nodes do not)."""
    if isinstance(value, str) and key in _ADDRESS_FIELDS:
        return value.lower() or None  # eth-tester's "" for a creation's receipt: null
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        if key == "logsBloom":
            return "0x" + value.to_bytes(BLOOM_BYTES, "big").hex()
        return hex(value)
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):  # web3's AttributeDict too
        return {camel(str(k)): encode(v, camel(str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def bloom_of(logs: Iterable[Mapping[str, Any]]) -> int:
    """The logs bloom (yellow paper, 4.3.1) of ``logs``, each with an address and topics."""
    bloom = BloomFilter()
    for log in logs:
        bloom.add(_raw(log["address"]))
        for topic in log["topics"]:
            bloom.add(_raw(topic))
    return int(bloom)


def receipt(value: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt as JSON-RPC, with the bloom of its logs."""
    out: dict[str, Any] = encode(value)
    out.pop("stateRoot", None)  # eth-tester's; post-Byzantium receipts carry a status, no root
    out["logsBloom"] = encode(bloom_of(value["logs"]), "logsBloom")
    out["logs"] = logs(value["logs"])
    return out


def block(value: Mapping[str, Any], logs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A block header (transaction hashes only) as JSON-RPC, with the bloom of its ``logs``."""
    out: dict[str, Any] = encode(value)
    out["logsBloom"] = encode(bloom_of(logs), "logsBloom")
    return out


def logs(values: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Logs as JSON-RPC."""
    out = []
    for value in values:
        log: dict[str, Any] = encode(value)
        log.pop("type", None)  # eth-tester's "mined"; nodes say removed: false
        log.setdefault("removed", False)
        out.append(log)
    return out


_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PREFIX = "execution reverted: "


def revert(reason: Any) -> tuple[str, str]:
    """The message and data (hex) of a revert as geth reports it (error code 3), from what
    web3's eth-tester provider raises: ``execution reverted: <reason>``, where the reason is a
    decoded ``Error(string)`` or the revert data as a Python bytes literal."""
    text = str(reason)
    text = text[len(_PREFIX) :] if text.startswith(_PREFIX) else text
    if text.startswith(("b'", 'b"')):
        try:
            data = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            data = None
        if isinstance(data, bytes):
            return "execution reverted", "0x" + data.hex()
    if not text:
        return "execution reverted", "0x"
    return f"{_PREFIX}{text}", "0x" + (_ERROR_STRING + abi_encode(["string"], [text])).hex()


def _raw(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)
