"""The relay in its own process (CREDIT_RELAY_PROCESS) on a real node: claims accepted by the
API process are relayed by the child; a child killed is replaced and nothing is lost or sent
twice; a gateway killed takes its child with it; the lock between processes holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.chain import rpc_web3
from credit.errors import CreditError
from credit.gateway.build import wire
from credit.relay import records
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import create_schema, make_engine
from tests.anvil import anvil
from tests.gateway.relay_helpers import fund_gateway_keys, signed_inbox
from tests.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]


def _credited(w: World) -> Counter[bytes]:
    logs = w.ledger.events.RecordCredited().get_logs(from_block=0)
    return Counter(bytes(e["args"]["recordId"]) for e in logs if e["address"] == w.ledger.address)


def _inbox(w: World, url: str, n: int) -> tuple[dict[str, Any], set[bytes]]:
    """``n`` residents' signed claims, each confirmed by a superior and a peer; their ids."""
    claims, confirmations, ids = signed_inbox(w, w.residents[:n], 1)
    inbox = {"url": url, "epoch": w.epoch(), "claims": claims, "confirmations": confirmations}
    return inbox, set(ids)


def _gone(pid: int, within: float) -> bool:
    """Whether ``pid`` exits (or is only a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_the_child_relays_survives_its_own_death_and_dies_with_the_gateway(
    tmp_path: Path, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=10)
        fund_gateway_keys(w)
        inbox, wanted = _inbox(w, url, 8)
        (tmp_path / "deployment.json").write_text(w.system.record.to_json())
        (tmp_path / "inbox.json").write_text(json.dumps(inbox))
        cmd = [sys.executable, "-m", "tests.gateway.crash_worker", str(tmp_path), "--relay-process"]
        gateway = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert gateway.stdout is not None
            first = int(gateway.stdout.readline().split()[1])
            assert first not in (0, gateway.pid)  # the relay runs in a process of its own
            os.kill(first, signal.SIGKILL)  # the supervisor starts another, which carries on
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not wanted <= set(_credited(w)):
                time.sleep(0.2)
            credited = _credited(w)
            assert wanted <= set(credited), "a claim was lost"
            assert set(credited.values()) == {1}, "a claim was credited twice"
            second = _child_of(gateway.pid)
            assert second is not None and second != first
            os.kill(gateway.pid, signal.SIGKILL)  # no chance to stop its child
            gateway.wait(timeout=10)
            assert _gone(second, within=5), "the relay process outlived its gateway"
        finally:
            if gateway.poll() is None:
                gateway.kill()
                gateway.wait(timeout=10)


def _child_of(parent: int) -> int | None:
    """The PID of ``parent``'s relay process (a live child started by multiprocessing's spawn,
    not its resource tracker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat[1]) == parent and stat[0] not in ("Z", "X") and b"spawn_main" in cmdline:
            return int(entry.name)
    return None


def test_the_embedded_chain_cannot_have_a_relay_process(
    gateway_world: World, tmp_path: Path, ruleset: RuleSet
) -> None:
    settings = Settings(data_dir=tmp_path, relay_process=True)
    with pytest.raises(CreditError, match="needs a JSON-RPC node"):
        wire(settings, gateway_world.system, ruleset)


class _Core:
    def __init__(self, url: str) -> None:

        self.engine = make_engine(url)
        self.lock = records.WriteTurns()


HOLDER = """
import sys, time
from credit.relay import records
from credit.store.db import make_engine
class Core:
    engine = make_engine(sys.argv[1]); lock = records.WriteTurns()
with records.write(Core()) as conn:
    print("held", flush=True)
    time.sleep(1.0)
"""


def test_relay_writes_of_two_processes_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite'}"
    create_schema(make_engine(url))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with records.write(_Core(url)):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert holder.returncode == 0
    assert waited > 0.5, "a relay write ran while another process held the relay's lock"
