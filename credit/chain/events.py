"""Reading the system's events and block headers from the chain, as plain typed values.

Only the deployed RuleBook and CreditLedger are sources of facts: logs are requested for their two
addresses and anything else a node returns is dropped, so a contract emitting look-alike events
(same signature, same topic) is never mistaken for the ledger. Each log is decoded with the ABI of
the contract that emitted it; values become JSON-safe (bytes as ``0x`` hex, addresses lower-case,
structs as dicts by field name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic
from web3.exceptions import BlockNotFound

from credit.chain.deploy import System

ABI = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class BlockHeader:
    """What reorg checks and timestamps need from a block."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True)
class RawEvent:
    """One decoded log of one of our contracts."""

    name: str
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    args: dict[str, Any]


def _hex(value: Any) -> str:
    raw = bytes(value) if not isinstance(value, str) else bytes.fromhex(value.removeprefix("0x"))
    return "0x" + raw.hex()


def _type_string(param: Mapping[str, Any]) -> str:
    """The canonical ABI type of ``param`` (tuples spelled out, arrays kept)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_string(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _is_dynamic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")


def json_safe(value: Any, param: Mapping[str, Any]) -> Any:
    """A decoded ABI value as JSON-safe data, shaped by its ABI ``param``."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [json_safe(v, inner) for v in value]
    if kind == "tuple":
        return {c["name"]: json_safe(v, c) for c, v in zip(param["components"], value, strict=True)}
    if kind == "address":
        return str(value).lower()
    if isinstance(value, bytes | bytearray):
        return _hex(value)
    return value


def indexed_abis(system: System) -> dict[str, ABI]:
    """The contracts whose events are read (the ledger and the rule book): ``{address: abi}``."""
    return {
        str(system.ledger.address): system.ledger.abi,
        str(system.rule_book.address): system.rule_book.abi,
    }


class LogDecoder:
    """Decodes the logs of the contracts at ``addresses`` (each a subclass's way)."""

    addresses: tuple[str, ...]

    def decode(self, log: Mapping[str, Any]) -> RawEvent | None:
        """The decoded log, or ``None`` if it is not an event of one of our contracts."""
        raise NotImplementedError

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[RawEvent]:
        """Our decoded events among ``logs``, in chain order."""
        found = (e for e in map(self.decode, logs) if e is not None)
        return sorted(found, key=lambda e: (e.block_number, e.log_index))


class EventCodec(LogDecoder):
    """Decodes the logs of a fixed set of contracts: ``{address: abi}``."""

    def __init__(self, abis: Mapping[str, ABI]) -> None:
        self.addresses = tuple(sorted(a.lower() for a in abis))
        self._events: dict[tuple[str, str], Mapping[str, Any]] = {}
        for address, abi in abis.items():
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = _hex(event_abi_to_log_topic(cast(Any, item)))
                    self._events[(address.lower(), topic)] = item

    def decode(self, log: Mapping[str, Any]) -> RawEvent | None:
        address = str(log["address"]).lower()
        topics = [_hex(t) for t in log["topics"]]
        if address not in self.addresses or not topics:
            return None
        event = self._events.get((address, topics[0]))
        if event is None:
            return None
        indexed = [p for p in event["inputs"] if p.get("indexed")]
        plain = [p for p in event["inputs"] if not p.get("indexed")]
        if len(topics) != 1 + len(indexed):
            return None  # same topic, different indexing: not our event
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=True):
            kind = _type_string(param)
            if _is_dynamic(kind):  # only the hash of a dynamic value is logged
                args[param["name"]] = topic
            else:
                (value,) = abi_decode([kind], bytes.fromhex(topic[2:]))
                args[param["name"]] = json_safe(value, param)
        values = abi_decode([_type_string(p) for p in plain], bytes(log["data"]))
        for param, value in zip(plain, values, strict=True):
            args[param["name"]] = json_safe(value, param)
        return RawEvent(
            name=str(event["name"]),
            address=address,
            block_number=int(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            log_index=int(log["logIndex"]),
            args={p["name"]: args[p["name"]] for p in event["inputs"]},
        )


class EventSource:
    """The chain as the indexer sees it: headers, our logs, and a few one-off reads."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.w3 = system.w3
        self.codec = EventCodec(indexed_abis(system))
        self.ledger_address = str(system.ledger.address).lower()
        self.start_block = system.record.start_block

    def head(self) -> int:
        """The number of the latest block."""
        return int(self.w3.eth.block_number)

    def header(self, number: int) -> BlockHeader | None:
        """The header of block ``number``, or ``None`` if the chain is not that long (any more)."""
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return BlockHeader(
            number=int(block["number"]),
            hash=_hex(block["hash"]),
            parent_hash=_hex(block["parentHash"]),
            timestamp=int(block["timestamp"]),
        )

    def logs(self, from_block: int, to_block: int) -> list[RawEvent]:
        """Our events in blocks ``from_block..to_block`` (inclusive), in chain order."""
        raw = self.w3.eth.get_logs(
            {
                "fromBlock": from_block,
                "toBlock": to_block,
                "address": [self.w3.to_checksum_address(a) for a in self.codec.addresses],
            }
        )
        return self.codec.decode_all(raw)

    def epoch_schedule(self) -> tuple[int, int]:
        """The ledger's ``(epoch length, genesis)`` in seconds; fixed at deployment."""
        length, genesis = self.system.ledger.functions.epochSchedule().call()
        return int(length), int(genesis)

    def rule_set_terms(self, rule_version: int) -> dict[str, Any]:
        """The published terms of ``rule_version`` (immutable once published), JSON-safe."""
        terms, uri, published_at, effective_at = self.system.rule_book.functions.ruleSet(
            rule_version
        ).call()
        content_hash, expiry, appeal_window, reward_per_point, epoch_cap = terms
        return {
            "contentHash": _hex(content_hash),
            "expiryEpochs": int(expiry),
            "appealWindow": int(appeal_window),
            "rewardPerPoint": int(reward_per_point),
            "epochRewardCap": int(epoch_cap),
            "uri": str(uri),
            "publishedAt": int(published_at),
            "effectiveAt": int(effective_at),
        }
