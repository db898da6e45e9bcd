"""The browser's replay (credit/gateway/web/js/verify/, run under node) computes the Python
worker's root bit for bit, on a real chain with a varied history; a tampered log changes it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from credit.chain.events import EventSource
from credit.ruleset import RuleSet
from credit.verify.replay import replay_epoch
from tests.support.ledger_flows import appeal, credit, publish, relay_violation, resolve, variant
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "verify" / "replay_node.mjs"
NODE = shutil.which("node")
EPOCHS = range(6)

pytestmark = pytest.mark.skipif(NODE is None, reason="node (Node.js 20) is not installed")


def _next_epoch(world: World) -> None:
    length, genesis = world.ledger.functions.epochSchedule().call()
    world.advance(genesis + (world.epoch() + 1) * length - world.now() + 60)


def _history(world: World, ruleset: RuleSet) -> None:
    """Six epochs: credits, violations (one overturned, one upheld), a deregistration, a second
    rule version with a two-epoch expiry, a lapse read as zero and one materialised."""
    a, b, c, d, e, gone = world.residents[:6]
    credit(world, a, units=3)
    credit(world, b, units=1)
    relay_violation(world, b, units=1)  # deducts all of b's 10
    credit(world, c, units=2)
    _, overturned = relay_violation(world, c, units=1)
    appeal(world, c, overturned)
    resolve(world, overturned, overturn=True)
    credit(world, d, category=2, units=2)
    credit(world, e, units=1)
    credit(world, gone, units=1)
    gone.send(world.ledger.functions.deregisterResident(gone.address))
    publish(world, variant(ruleset, terms={"expiry_epochs": 2}))  # in force after the notice
    _next_epoch(world)  # epoch 1
    credit(world, a, units=1)
    _, upheld = relay_violation(world, d, units=1)
    appeal(world, d, upheld)
    resolve(world, upheld, overturn=False)
    _next_epoch(world)  # 2
    credit(world, c, category=3, units=2)
    _next_epoch(world)  # 3
    _next_epoch(world)  # 4: e (last active in 0) has lapsed; crediting e materialises it
    credit(world, e, units=2)
    _next_epoch(world)  # 5
    credit(world, b, units=4)
    _next_epoch(world)  # 6: epoch 5 is over


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _dump(world: World) -> dict[str, Any]:
    """The chain as a JSON-RPC node would give it: headers, every log, the replay's eth_calls."""
    w3, source = world.w3, EventSource(world.system)
    head = int(w3.eth.block_number)
    blocks = []
    for n in range(head + 1):
        block = w3.eth.get_block(n)
        blocks.append(
            {
                "number": hex(n),
                "hash": _hex(block["hash"]),
                "parentHash": _hex(block["parentHash"]),
                "timestamp": hex(int(block["timestamp"])),
            }
        )
    logs = [
        {
            "address": str(log["address"]),
            "topics": [_hex(t) for t in log["topics"]],
            "data": _hex(log["data"]),
            "blockNumber": hex(int(log["blockNumber"])),
            "blockHash": _hex(log["blockHash"]),
            "transactionHash": _hex(log["transactionHash"]),
            "transactionIndex": hex(int(log["transactionIndex"])),
            "logIndex": hex(int(log["logIndex"])),
            "removed": False,
        }
        for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": head})  # every address
    ]
    ledger, rule_book = world.ledger.address.lower(), world.rule_book.address.lower()
    calls = {f"{ledger} 0x{keccak(text='epochSchedule()')[:4].hex()}": None}
    versions = int(world.rule_book.functions.latestVersion().call())
    for v in range(1, versions + 1):
        calls[f"{rule_book} 0x{keccak(text='ruleSet(uint32)')[:4].hex()}{v:064x}"] = None
    for key in calls:
        to, data = key.split(" ")
        calls[key] = _hex(w3.eth.call({"to": w3.to_checksum_address(to), "data": data}))
    return {
        "head": hex(head),
        "blocks": blocks,
        "logs": logs,
        "calls": calls,
        "deployment": {"ledger": ledger, "ruleBook": rule_book, "startBlock": source.start_block},
    }


def _node_roots(dump: dict[str, Any], tmp_path: Path, epochs: range) -> dict[int, Any]:
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(dump), encoding="utf-8")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(RUNNER), str(path), *map(str, epochs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {int(k): v for k, v in json.loads(done.stdout).items()}


def test_the_browser_replay_computes_the_python_root(
    world: World, ruleset: RuleSet, tmp_path: Path
) -> None:
    _history(world, ruleset)
    source = EventSource(world.system)
    replays = {epoch: replay_epoch(source, epoch) for epoch in EPOCHS}
    python = {epoch: "0x" + r.root.hex() for epoch, r in replays.items()}
    # the history reaches the cases the fold must get right
    a, e, gone = world.residents[0], world.residents[4], world.residents[5]
    assert len(replays[5].versions) == 2
    assert replays[0].state.of(gone.address) is None  # deregistered
    assert replays[3].state.of(e.address).credit == 0  # type: ignore[union-attr]  # lapsed
    assert replays[4].facts.expiries  # and materialised
    assert replays[1].state.of(a.address).credit == 40  # type: ignore[union-attr]
    assert replays[4].state.of(a.address).credit == 0  # type: ignore[union-attr]
    assert len(set(python.values())) == len(python)

    dump = _dump(world)
    assert _node_roots(dump, tmp_path, EPOCHS) == python

    tampered = copy.deepcopy(dump)
    credited = (
        "0x" + keccak(text="RecordCredited(bytes32,address,uint16,uint16,uint48,uint16)").hex()
    )
    log = next(x for x in tampered["logs"] if x["topics"][0] == credited)  # a's 30 in epoch 0
    data = log["data"][2:]
    points = int(data[128:192], 16)
    log["data"] = "0x" + data[:128] + f"{points + 10:064x}" + data[192:]
    node = _node_roots(tampered, tmp_path, EPOCHS)
    assert [node[epoch] != python[epoch] for epoch in EPOCHS] == [True] * 4 + [False] * 2
    # from epoch 4 on a's balance has lapsed to 0, so the inflated points no longer show


def test_the_event_fragments_match_the_compiled_abis(
    artifacts: dict[str, Any], tmp_path: Path
) -> None:
    script = tmp_path / "fragments.mjs"
    module = (ROOT / "credit/gateway/web/js/verify/events.js").as_uri()
    script.write_text(
        f"import {{ LEDGER_EVENTS, RULE_BOOK_EVENTS }} from {json.dumps(module)};\n"
        "console.log(JSON.stringify({ledger: LEDGER_EVENTS, ruleBook: RULE_BOOK_EVENTS}));\n",
        encoding="utf-8",
    )
    assert NODE is not None
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True)
    fragments = json.loads(done.stdout)
    for contract, key in (("CreditLedger", "ledger"), ("RuleBook", "ruleBook")):
        compiled = {
            item["name"]: [(i["name"], i["type"], i["indexed"]) for i in item["inputs"]]
            for item in artifacts[contract].abi
            if item.get("type") == "event"
        }
        for event in fragments[key]:
            mine = [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]]
            assert compiled[event["name"]] == mine, event["name"]


def test_the_browsers_rpc_client_copes_with_the_gateways_limits() -> None:
    """A 429 is waited out, a refused batch is sent call by call, and a log range with too many
    logs (-32005) is halved until each part is served: nothing is lost or repeated."""
    assert NODE is not None
    script = ROOT / "tests" / "verify" / "rpc_node.mjs"
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    assert out["times"] == [1001, 1002, 1003, 1004, 1005, 1006, 1007]
    assert (out["headerPosts"], out["batches"]) == (1 + 1 + 7, False)
    assert out["logBlocks"] == [1, 2, 2, 5, 7, 8]
