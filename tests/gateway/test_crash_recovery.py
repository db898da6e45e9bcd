"""The gateway killed with SIGKILL 20 times during a mint run and relaying: nothing lost, nothing
paid or credited twice. The chain is a real node (anvil), which outlives the gateway process."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from credit.artifacts import Artifact
from credit.chain import role_id, rpc_web3
from credit.ruleset import RuleSet
from tests.support.anvil import anvil
from tests.support.relay_helpers import fund_gateway_keys, signed_inbox
from tests.support.world import EPOCH, build_world

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


ROOT = Path(__file__).resolve().parents[2]


def _events(world, name):  # type: ignore[no-untyped-def]
    logs = getattr(world.ledger.events, name)().get_logs(from_block=0)
    return [log for log in logs if log["address"] == world.ledger.address]


def test_twenty_sigkills_lose_nothing_and_pay_nothing_twice(
    tmp_path: Path, database_url: str, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    rng = random.Random(20)
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=12)
        _, minter = fund_gateway_keys(w)
        w.operator.send(w.ledger.functions.grantRole(role_id("MINTER_ROLE"), minter.address))
        earners = w.residents[:10]
        for r in earners:  # epoch 0 earnings to be paid by the run
            w.credit_one(r, 1, 1)
        epoch = w.epoch()
        w.advance(EPOCH + 1)
        # signed claims (next epoch) for the relay: each resident's next nonce, confirmed by two
        claims, confirmations, _ = signed_inbox(w, w.residents[:8], 2)
        (tmp_path / "deployment.json").write_text(w.system.record.to_json())
        (tmp_path / "inbox.json").write_text(
            json.dumps(
                {
                    "url": url,
                    "database_url": database_url,
                    "epoch": epoch,
                    "claims": claims,
                    "confirmations": confirmations,
                }
            )
        )

        def start() -> subprocess.Popen[str]:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.gateway.crash_worker", str(tmp_path)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert proc.stdout is not None and proc.stdout.readline().startswith("ready")
            return proc

        for _ in range(20):
            proc = start()
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc = start()  # the last start runs to completion
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                paid = Counter(e["args"]["resident"] for e in _events(w, "RewardMinted"))
                credited = Counter(e["args"]["recordId"] for e in _events(w, "RecordCredited"))
                if len(paid) == len(earners) and len(credited) >= len(earners) + len(claims):
                    break
                time.sleep(0.2)
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        assert sorted(paid) == sorted(r.address for r in earners)
        assert set(paid.values()) == {1}, "a resident was paid twice"
        assert set(credited.values()) == {1}, "a record was credited twice"
        assert len(credited) == len(earners) + len(claims), "a relayed claim was lost"
        for r in earners:
            assert w.ledger.functions.balanceOf(r.address).call() == 10 * 10**17
