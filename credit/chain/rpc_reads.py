"""Bulk reads for the auditor: logs, headers, transactions and ``creditOf`` at a block.

Two readers with one interface. :class:`Web3Reader` goes through web3 and
:class:`credit.chain.events.EventSource` and works with any provider (the embedded eth-tester
chain included). :class:`RpcReader` speaks raw JSON-RPC to a node over HTTP, in batches, and
decodes logs with :class:`FastEventCodec`: web3's per-call validation and formatting cost about
10 ms per ``eth_call`` and 0.3 ms per log, which is most of an audit of 100,000 records. Both give
the same :class:`RawEvent` values (the tests compare them), filtered by our contract addresses.
:class:`RpcEventSource` is the indexer's :class:`EventSource` over the same raw requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, function_signature_to_4byte_selector
from web3 import HTTPProvider

from credit.chain.calldata import TxInfo, fetch_transaction
from credit.chain.deploy import System
from credit.chain.events import (
    BlockHeader,
    EventSource,
    LogDecoder,
    RawEvent,
    _is_dynamic,
    _type_string,
    indexed_abis,
)
from credit.chain.events import json_safe as _json_safe

ABI = Sequence[Mapping[str, Any]]
BATCH = 250  # requests per JSON-RPC batch
_CREDIT_OF = function_signature_to_4byte_selector("creditOf(address)")


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _static(param: Mapping[str, Any], words: Sequence[bytes], i: int) -> tuple[Any, int]:
    """Decode a static ABI value starting at word ``i``; returns (value, next word)."""
    kind = str(param["type"])
    if kind == "tuple":
        out = {}
        for c in param["components"]:
            out[c["name"]], i = _static(c, words, i)
        return out, i
    word = words[i]
    if kind == "address":
        return "0x" + word[12:].hex(), i + 1
    if kind == "bool":
        return word[-1] != 0, i + 1
    if kind.startswith("uint"):
        return int.from_bytes(word, "big"), i + 1
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True), i + 1
    if kind.startswith("bytes"):
        return "0x" + word[: int(kind[5:])].hex(), i + 1
    raise ValueError(f"not a static ABI type: {kind}")


class _Spec:
    def __init__(self, event: Mapping[str, Any]) -> None:
        self.name = str(event["name"])
        self.inputs = list(event["inputs"])
        self.indexed = [p for p in self.inputs if p.get("indexed")]
        self.plain = [p for p in self.inputs if not p.get("indexed")]
        self.plain_types = [_type_string(p) for p in self.plain]
        self.static = not any(_is_dynamic(t) for t in self.plain_types)


class FastEventCodec(LogDecoder):
    """Decodes our contracts' logs like :class:`credit.chain.events.EventCodec`, faster: static
    values are read straight from their 32-byte words; dynamic ones go through eth_abi."""

    def __init__(self, abis: Mapping[str, ABI]) -> None:
        self.addresses = tuple(sorted(a.lower() for a in abis))
        self._specs: dict[tuple[str, bytes], _Spec] = {}
        for address, abi in abis.items():
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = bytes(event_abi_to_log_topic(cast(Any, item)))
                    self._specs[(address.lower(), topic)] = _Spec(item)

    def decode(self, log: Mapping[str, Any]) -> RawEvent | None:
        """A log (raw JSON-RPC or web3-formatted) as a decoded event, or None if not ours."""
        address = str(log["address"]).lower()
        topics = [_bytes(t) for t in log["topics"]]
        spec = self._specs.get((address, topics[0])) if topics else None
        if spec is None or len(topics) != 1 + len(spec.indexed):
            return None
        args: dict[str, Any] = {}
        for param, topic in zip(spec.indexed, topics[1:], strict=True):
            dynamic = _is_dynamic(_type_string(param))
            args[param["name"]] = "0x" + topic.hex() if dynamic else _static(param, [topic], 0)[0]
        data = _bytes(log["data"])
        if spec.static:
            words = [data[i : i + 32] for i in range(0, len(data), 32)]
            i = 0
            for param in spec.plain:
                args[param["name"]], i = _static(param, words, i)
        else:
            values = abi_decode(spec.plain_types, data)
            for param, value in zip(spec.plain, values, strict=True):
                args[param["name"]] = _json_safe(value, param)
        return RawEvent(
            name=spec.name,
            address=address,
            block_number=_int(log["blockNumber"]),
            block_hash="0x" + _bytes(log["blockHash"]).hex(),
            tx_hash="0x" + _bytes(log["transactionHash"]).hex(),
            log_index=_int(log["logIndex"]),
            args={p["name"]: args[p["name"]] for p in spec.inputs},
        )


class _RawRpc:
    """Raw JSON-RPC requests to the system's HTTP node, and our logs decoded by
    :class:`FastEventCodec`."""

    def __init__(self, system: System) -> None:
        self.provider = cast(HTTPProvider, system.w3.provider)
        self.fast_codec = FastEventCodec(indexed_abis(system))

    def _one(self, method: str, params: list[Any]) -> Any:
        return _result(self.provider.make_request(cast(Any, method), params))

    def logs(self, first: int, last: int) -> list[RawEvent]:
        """Our events in blocks ``first..last`` (inclusive), in chain order."""
        query = {
            "fromBlock": hex(first),
            "toBlock": hex(last),
            "address": list(self.fast_codec.addresses),
        }
        return self.fast_codec.decode_all(self._one("eth_getLogs", [query]))


class Web3Reader:
    """Reads through web3 (any provider); see the module docstring."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.source = EventSource(system)

    def head(self) -> int:
        return self.source.head()

    def logs(self, first: int, last: int) -> list[RawEvent]:
        return self.source.logs(first, last)

    def headers(self, numbers: Iterable[int]) -> dict[int, BlockHeader | None]:
        return {n: self.source.header(n) for n in numbers}

    def transactions(self, hashes: Iterable[str]) -> dict[str, TxInfo]:
        return {h: fetch_transaction(self.system.w3, h) for h in hashes}

    def block_at_or_before(self, timestamp: int, low: int, high: int) -> int:
        """The newest block in ``low..high`` whose time is at most ``timestamp`` (bisection)."""
        while low < high:
            mid = (low + high + 1) // 2
            header = self.headers([mid])[mid]
            if header is not None and header.timestamp <= timestamp:
                low = mid
            else:
                high = mid - 1
        return low

    def credit_of(self, residents: Iterable[str], block: int) -> dict[str, int]:
        fn, w3 = self.system.ledger.functions.creditOf, self.system.w3
        return {
            r: int(fn(w3.to_checksum_address(r)).call(block_identifier=block)) for r in residents
        }


class RpcReader(_RawRpc, Web3Reader):
    """Reads over raw JSON-RPC in batches (HTTP nodes); see the module docstring."""

    def __init__(self, system: System) -> None:
        Web3Reader.__init__(self, system)
        _RawRpc.__init__(self, system)
        self.batch = BATCH

    def _many(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Answers in order, in batches of :attr:`batch` requests; a node that refuses a batch
        as too large (the gateway's public /rpc takes ten) gets smaller ones."""
        out: list[Any] = []
        i = 0
        while i < len(requests):
            chunk = cast(Any, list(requests[i : i + self.batch]))
            responses = self.provider.make_batch_request(chunk)
            if not isinstance(responses, list):  # the node refused the batch as a whole
                smaller = _smaller_batch(responses, len(chunk))
                if smaller is None:
                    raise ValueError(f"the node refused a batch request: {_error(responses)}")
                self.batch = smaller
                continue
            ordered = sorted(responses, key=lambda r: int(cast(Any, r).get("id") or 0))
            out.extend(_result(r) for r in ordered)
            i += len(chunk)
        return out

    def headers(self, numbers: Iterable[int]) -> dict[int, BlockHeader | None]:
        wanted = list(numbers)
        blocks = self._many([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return {
            n: None
            if b is None
            else BlockHeader(n, b["hash"].lower(), b["parentHash"].lower(), _int(b["timestamp"]))
            for n, b in zip(wanted, blocks, strict=True)
        }

    def transactions(self, hashes: Iterable[str]) -> dict[str, TxInfo]:
        wanted = list(hashes)
        found = self._many([("eth_getTransactionByHash", [h]) for h in wanted])
        return {
            h: TxInfo(
                h,
                str(t["from"]).lower(),
                str(t["to"]).lower() if t.get("to") else None,
                _int(t.get("blockNumber") or 0),
                _bytes(t.get("input") or t.get("data") or "0x"),
            )
            for h, t in zip(wanted, found, strict=True)
        }

    def credit_of(self, residents: Iterable[str], block: int) -> dict[str, int]:
        wanted = list(residents)
        to = str(self.system.ledger.address)
        calls = [
            (
                "eth_call",
                [{"to": to, "data": "0x" + (_CREDIT_OF + bytes(12)).hex() + r[2:]}, hex(block)],
            )
            for r in wanted
        ]
        return {r: _int(v) for r, v in zip(wanted, self._many(calls), strict=True)}


class RpcEventSource(_RawRpc, EventSource):
    """:class:`EventSource` over raw JSON-RPC (HTTP nodes): the head, headers and logs without
    web3's result formatting, logs decoded by :class:`FastEventCodec` (the same values). The
    indexer reads every relayed record's log while the relay runs: web3's formatting was most of
    its time."""

    def __init__(self, system: System) -> None:
        EventSource.__init__(self, system)
        _RawRpc.__init__(self, system)

    def head(self) -> int:
        return _int(self._one("eth_blockNumber", []))

    def header(self, number: int) -> BlockHeader | None:
        b = self._one("eth_getBlockByNumber", [hex(number), False])
        if b is None:
            return None
        return BlockHeader(
            _int(b["number"]), b["hash"].lower(), b["parentHash"].lower(), _int(b["timestamp"])
        )


def event_source_for(system: System) -> EventSource:
    """The fastest event source the system's provider supports."""
    if isinstance(system.w3.provider, HTTPProvider):
        return RpcEventSource(system)
    return EventSource(system)


_AT_MOST = re.compile(r"at most (\d+)")


def _smaller_batch(response: Any, size: int) -> int | None:
    """The batch size to retry with when a node refused a batch of ``size`` as too large (the
    limit it names, else half), or None when the refusal is about something else."""
    error = response.get("error") if isinstance(response, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    if size <= 1 or "batch" not in message.lower():
        return None
    named = _AT_MOST.search(message)
    limit = int(named.group(1)) if named else size // 2
    return max(1, min(limit, size - 1))


def _error(response: Any) -> str:
    return str(response.get("error")) if isinstance(response, dict) else str(response)


def _result(response: Any) -> Any:
    if not isinstance(response, dict) or "error" in response:
        raise ValueError(f"the node answered with an error: {_error(response)}")
    return response.get("result")


def reader_for(system: System) -> Web3Reader:
    """The fastest reader the system's provider supports."""
    return RpcReader(system) if isinstance(system.w3.provider, HTTPProvider) else Web3Reader(system)
