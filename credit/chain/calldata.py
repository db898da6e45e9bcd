"""Reading transactions and decoding their calldata with a contract's ABI.

The ledger emits no per-evaluator event for relayed batches: the evaluators are in the relay
transaction's input, where anyone can recover them from their signatures. This module fetches a
transaction and decodes its input into JSON-safe values (bytes as ``0x`` hex, addresses
lower-case, structs as dicts by field name), the same shapes :mod:`credit.chain.events` gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_utils import function_abi_to_4byte_selector
from web3 import Web3

from credit.chain.events import _type_string, json_safe
from credit.facts import Transaction

TxInfo = Transaction  # a transaction's sender, recipient, block and input


@dataclass(frozen=True)
class Call:
    """A decoded contract call: the function's name and its arguments by parameter name."""

    function: str
    args: dict[str, Any]


class CalldataDecoder:
    """Decodes calls to the functions of one ABI."""

    def __init__(self, abi: Sequence[Mapping[str, Any]]) -> None:
        self._functions: dict[bytes, Mapping[str, Any]] = {
            bytes(function_abi_to_4byte_selector(cast(Any, item))): item
            for item in abi
            if item.get("type") == "function"
        }

    @property
    def selectors(self) -> dict[bytes, str]:
        """Function name by 4-byte selector."""
        return {selector: str(fn["name"]) for selector, fn in self._functions.items()}

    def decode(self, data: bytes) -> Call | None:
        """The call ``data`` encodes, or None if it calls no function of the ABI (or is corrupt)."""
        fn = self._functions.get(bytes(data[:4]))
        if fn is None:
            return None
        inputs = list(fn["inputs"])
        try:
            values = abi_decode([_type_string(p) for p in inputs], bytes(data[4:]))
        except Exception:  # eth_abi raises several types for truncated or malformed input
            return None
        args = {p["name"]: json_safe(v, p) for p, v in zip(inputs, values, strict=True)}
        return Call(str(fn["name"]), args)


def fetch_transaction(w3: Web3, tx_hash: str) -> TxInfo:
    """The transaction ``tx_hash`` (it must be mined)."""
    tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    to = tx.get("to")
    return TxInfo(
        hash=tx_hash.lower(),
        sender=str(tx["from"]).lower(),
        to=str(to).lower() if to else None,
        block_number=int(tx["blockNumber"] or 0),
        input=bytes(tx["input"]),
    )
