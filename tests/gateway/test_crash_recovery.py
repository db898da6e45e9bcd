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

from eth_account import Account

from credit.artifacts import Artifact
from credit.chain import fund, role_id, rpc_web3
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.anvil import anvil
from tests.world import EPOCH, PEER, SUPERIOR, build_world

ROOT = Path(__file__).resolve().parents[2]


def _events(world, name):  # type: ignore[no-untyped-def]
    logs = getattr(world.ledger.events, name)().get_logs(from_block=0)
    return [log for log in logs if log["address"] == world.ledger.address]


def test_twenty_sigkills_lose_nothing_and_pay_nothing_twice(
    tmp_path: Path, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    rng = random.Random(20)
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=12)
        keys = Settings()
        relayer, minter = (
            Account.from_key(k) for k in (keys.relayer_private_key(), keys.minter_private_key())
        )
        fund(w.w3, [relayer.address, minter.address], 10**19)
        w.operator.send(w.ledger.functions.grantRole(role_id("MINTER_ROLE"), minter.address))
        earners = w.residents[:10]
        for r in earners:  # epoch 0 earnings to be paid by the run
            w.credit_one(r, 1, 1)
        epoch = w.epoch()
        w.advance(EPOCH + 1)
        # signed claims (next epoch) for the relay: each resident's next nonce, confirmed by two
        claims, confirmations = [], []
        for r in w.residents[:8]:
            signed, rid = w.claim(r, 1, 2)
            claims.append(
                {
                    "resident": r.address,
                    "category": 1,
                    "units": 2,
                    "occurred_at": signed[3],
                    "evidence": "0x" + bytes(signed[6]).hex(),
                    "nonce": signed[5],
                    "deadline": signed[4],
                    "r": "0x" + bytes(signed[7]).hex(),
                    "vs": "0x" + bytes(signed[8]).hex(),
                }
            )
            peer = next(p for p in w.residents if p.address != r.address)
            for actor, kind in ((w.superior, SUPERIOR), (peer, PEER)):
                (e,) = w.endorse([rid], [(actor, kind)])
                confirmations.append(
                    {
                        "evaluator": actor.address,
                        "records": ["0x" + rid.hex()],
                        "kind": kind,
                        "deadline": e[1],
                        "r": "0x" + bytes(e[3]).hex(),
                        "vs": "0x" + bytes(e[4]).hex(),
                    }
                )
        (tmp_path / "deployment.json").write_text(w.system.record.to_json())
        (tmp_path / "inbox.json").write_text(
            json.dumps(
                {"url": url, "epoch": epoch, "claims": claims, "confirmations": confirmations}
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
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
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
