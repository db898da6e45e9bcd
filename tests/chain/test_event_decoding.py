"""The indexer's fast log decoding (raw JSON-RPC logs, :class:`FastEventCodec`) gives the values
web3's own event decoding gives, for every event type of the ledger's and rule book's ABIs: on
the logs a played city leaves on a real EVM, and on a synthesized log of each event type that the
city does not emit; and the indexer's raw JSON-RPC event source reads a real node (anvil) as
the web3 one does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import pytest
from eth_abi import encode as abi_encode
from eth_utils import event_abi_to_log_topic, keccak, to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import rpc_web3
from credit.chain.events import EventCodec, EventSource, _is_dynamic, _type_string, json_safe
from credit.chain.rpc_reads import FastEventCodec, RpcEventSource, event_source_for
from credit.ruleset import RuleSet
from tests.audit.scenario import play
from tests.support.anvil import anvil
from tests.support.ledger_flows import credit
from tests.support.world import World, build_world


def _events(contract: Contract) -> list[dict[str, Any]]:
    return [dict(i) for i in contract.abi if i.get("type") == "event" and not i.get("anonymous")]


def _web3_value(value: Any, param: Mapping[str, Any]) -> Any:
    """web3's decoded value as the indexer stores values (structs may come back as dicts)."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_web3_value(v, inner) for v in value]
    if kind == "tuple":
        items = (
            [value[c["name"]] for c in param["components"]] if isinstance(value, Mapping) else value
        )
        return {
            c["name"]: _web3_value(v, c) for c, v in zip(param["components"], items, strict=True)
        }
    return json_safe(value, param)


def _by_web3(contract: Contract, log: Any) -> tuple[str, dict[str, Any]]:
    """The event's name and arguments as web3's contract layer decodes them."""
    topic = bytes(log["topics"][0])
    event = next(
        e for e in _events(contract) if bytes(event_abi_to_log_topic(cast(Any, e))) == topic
    )
    decoded = contract.events[event["name"]]().process_log(log)
    return event["name"], {
        p["name"]: (
            "0x" + bytes(decoded["args"][p["name"]]).hex()
            if p.get("indexed") and _is_dynamic(_type_string(p))
            else _web3_value(decoded["args"][p["name"]], p)
        )
        for p in event["inputs"]
    }


def _raw_json(log: Any) -> dict[str, Any]:
    """A web3-formatted log as a node's JSON-RPC answer carries it (hex strings)."""
    return {
        "address": str(log["address"]).lower(),
        "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
        "data": "0x" + bytes(log["data"]).hex(),
        "blockNumber": hex(log["blockNumber"]),
        "blockHash": "0x" + bytes(log["blockHash"]).hex(),
        "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        "logIndex": hex(log["logIndex"]),
    }


def _sample(param: Mapping[str, Any]) -> Any:
    """A value of the parameter's type at the edge of its range."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        size = kind[kind.rindex("[") + 1 : -1]
        return [_sample(inner)] * (int(size) if size else 2)
    if kind == "tuple":
        return tuple(_sample(c) for c in param["components"])
    if kind == "address":
        return to_checksum_address("0x" + "ab" * 19 + "cd")
    if kind == "bool":
        return True
    if kind.startswith("uint"):
        return 2 ** int(kind[4:] or 256) - 1
    if kind.startswith("int"):
        return -(2 ** (int(kind[3:] or 256) - 1))
    if kind == "string":
        return "ipfs://rules"
    if kind == "bytes":
        return b"\x01\x02\x03"
    if kind.startswith("bytes"):
        return bytes(range(1, int(kind[5:]) + 1))
    raise AssertionError(f"no sample for {kind}")


def _synthesized(contract: Contract, event: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A web3-shaped log of ``event`` with sample values, as ``contract`` would emit it."""
    topics = [HexBytes(event_abi_to_log_topic(cast(Any, event)))]
    plain_types, plain_values = [], []
    for p in event["inputs"]:
        kind, value = _type_string(p), _sample(p)
        if p.get("indexed"):
            encoded = abi_encode([kind], [value])
            topics.append(HexBytes(keccak(encoded) if _is_dynamic(kind) else encoded))
        else:
            plain_types.append(kind)
            plain_values.append(value)
    return {
        "address": contract.address,
        "topics": topics,
        "data": HexBytes(abi_encode(plain_types, plain_values)),
        "blockNumber": 7,
        "blockHash": HexBytes(b"\x11" * 32),
        "transactionHash": HexBytes(b"\x22" * 32),
        "transactionIndex": 0,
        "logIndex": index,
        "removed": False,
    }


@pytest.fixture(scope="module")
def city_logs(deployed: World, ruleset: RuleSet) -> list[Any]:
    play(deployed, ruleset)
    system = deployed.system
    return list(
        deployed.w3.eth.get_logs(
            {
                "fromBlock": system.record.start_block,
                "toBlock": "latest",
                "address": [system.ledger.address, system.rule_book.address],
            }
        )
    )


def _codecs(world: World) -> tuple[FastEventCodec, EventCodec, dict[str, Contract]]:
    system = world.system
    abis = {
        str(system.ledger.address): system.ledger.abi,
        str(system.rule_book.address): system.rule_book.abi,
    }
    contracts = {
        str(system.ledger.address).lower(): system.ledger,
        str(system.rule_book.address).lower(): system.rule_book,
    }
    return FastEventCodec(abis), EventCodec(abis), contracts


def _stored(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, separators=(",", ":"))


def _check(fast: FastEventCodec, today: EventCodec, contract: Contract, log: Any) -> str:
    name, expected = _by_web3(contract, log)
    for decoded in (fast.decode(_raw_json(log)), fast.decode(log), today.decode(log)):
        assert decoded is not None, name
        assert decoded.name == name
        assert _stored(decoded.args) == _stored(expected)  # as the indexer stores them
        assert decoded.address == str(log["address"]).lower()
        assert decoded.block_number == int(log["blockNumber"])
        assert decoded.log_index == int(log["logIndex"])
        assert decoded.block_hash == "0x" + bytes(log["blockHash"]).hex()
        assert decoded.tx_hash == "0x" + bytes(log["transactionHash"]).hex()
    return name


def test_every_event_decodes_as_web3_decodes_it(deployed: World, city_logs: list[Any]) -> None:
    fast, today, contracts = _codecs(deployed)
    seen = {_check(fast, today, contracts[str(log["address"]).lower()], log) for log in city_logs}
    assert {"RecordCredited", "ViolationRecorded", "AppealResolved", "CreditExpired"} <= seen
    assert {"RuleSetPublished", "ConfirmationRecorded", "ClaimSubmitted"} <= seen
    synthesized = 0
    for contract in contracts.values():
        for i, event in enumerate(_events(contract)):
            if event["name"] not in seen:
                _check(fast, today, contract, _synthesized(contract, event, i))
                synthesized += 1
            _check(fast, today, contract, _synthesized(contract, event, i))  # edge values
    assert synthesized < len(_events(deployed.system.ledger)) + len(
        _events(deployed.system.rule_book)
    )


def test_logs_of_other_contracts_and_unknown_topics_are_dropped(
    deployed: World, city_logs: list[Any]
) -> None:
    fast, _, _ = _codecs(deployed)
    log = _raw_json(city_logs[-1])
    assert fast.decode(log) is not None
    assert fast.decode({**log, "address": "0x" + "12" * 20}) is None
    assert fast.decode({**log, "topics": ["0x" + "00" * 32, *log["topics"][1:]]}) is None
    assert fast.decode({**log, "topics": log["topics"][:1]}) is None  # other indexing


def test_the_indexer_reads_a_real_node_over_raw_json_rpc_as_web3_does(
    artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=3)
        for resident in w.residents:
            credit(w, resident)
        raw, plain = event_source_for(w.system), EventSource(w.system)
        assert isinstance(raw, RpcEventSource)
        head = raw.head()
        assert head == plain.head()
        first = w.system.record.start_block
        events = raw.logs(first, head)
        assert events == plain.logs(first, head)
        assert sum(e.name == "RecordCredited" for e in events) == len(w.residents)
        for number in (first, events[-1].block_number, head):
            assert raw.header(number) == plain.header(number)
        assert raw.header(head + 5) is None and plain.header(head + 5) is None
