"""Six residents' processes verify epoch 0 on a real node (anvil): four honest, one faulty worker
(wrong root) and one copier (reveals another's answer without a matching commitment).

The epoch finalises on the honest root, which the test computes independently from the chain's
events; only the honest four earn ledger-verification credit; the faulty root raises
RootDisagreement; the copier's reveal fails with VerifierCommitmentMismatch. The test moves the
chain's clock; the workers poll it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import rpc_web3, time_travel
from credit.chain.deploy import DeploymentRecord
from credit.chain.events import EventSource
from credit.chain.verifier import VerifierClient, VerifierTerms, commitment_of, deploy_verifier
from credit.cli import main as cli_main
from credit.ruleset import RuleSet
from credit.settings import get_settings
from credit.verify.merkle import state_tree, verify_credit
from credit.verify.replay import replay_epoch
from tests.support.anvil import anvil
from tests.support.ledger_flows import credit, relay_violation
from tests.support.world import World, build_world, wait_until
from tests.verify.rig import COMMIT_WINDOW, MARGIN, QUORUM, REVEAL_WINDOW, VERIFICATION

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass
class City:
    url: str
    world: World
    contract: Contract
    record: DeploymentRecord

    def client(self) -> VerifierClient:
        return VerifierClient(self.contract, decoder=self.world.system.decoder)

    def goto(self, timestamp: int) -> None:
        time_travel(self.world.w3, timestamp - self.world.now())


@pytest.fixture(scope="module")
def city(artifacts: dict[str, Artifact], ruleset: RuleSet) -> Iterator[City]:
    with anvil() as url:
        world = build_world(rpc_web3(url), artifacts, ruleset, residents=6, seed=7)
        terms = VerifierTerms(QUORUM, COMMIT_WINDOW, REVEAL_WINDOW)
        contract, record = deploy_verifier(world.operator.tx, artifacts, world.system, terms)
        yield City(url, world, contract, record)


def _spawn(city: City, tmp: Path, name: str, key: bytes, argv: list[str]) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CREDIT_PROFILE": "dev",
        "CREDIT_DATA_DIR": str(tmp / name),
        "CREDIT_VERIFIER_KEY": "0x" + key.hex(),
        "PYTHONPATH": str(ROOT),  # the doubles in tests/verify/ import this checkout's credit
    }
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _worker_argv(city: City, deployment: Path, tmp: Path, name: str) -> list[str]:
    return [
        *["verify", "run", "--rpc-url", city.url, "--deployment", str(deployment)],
        *["--epoch", "0", "--state-dir", str(tmp / name / "ballots")],
        *["--poll", "0.05", "--timeout", "60", "--json"],
    ]


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    return dict(json.loads(out))


def test_honest_majority_finalises_and_earns(
    city: City, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = city.world
    honest, faulty, copier = w.residents[:4], w.residents[4], w.residents[5]
    credit(w, honest[0], units=3)
    credit(w, faulty, units=2)
    relay_violation(w, honest[1], units=1)
    deployment = tmp_path / "deployment.json"
    city.record.save(deployment)
    before = {r.address: w.credit(r) for r in w.residents}

    procs = {}
    for i, r in enumerate(honest):
        argv = _worker_argv(city, deployment, tmp_path, r.name) + (["--finalize"] if i == 0 else [])
        procs[r.name] = _spawn(city, tmp_path, r.name, r.key, ["-m", "credit", *argv])
    faulty_argv = [str(HERE / "faulty_worker.py"), *_worker_argv(city, deployment, tmp_path, "f")]
    procs["faulty"] = _spawn(city, tmp_path, "faulty", faulty.key, faulty_argv)
    copier_argv = [
        str(HERE / "copier_worker.py"),
        city.url,
        str(deployment),
        "0",
        honest[1].address,
    ]
    procs["copier"] = _spawn(city, tmp_path, "copier", copier.key, copier_argv)
    try:
        client, windows = city.client(), city.client().windows(0)
        city.goto(windows.commit_opens + MARGIN)
        assert wait_until(lambda: len(client.commitments(0)) == 6, timeout=45)
        city.goto(windows.reveal_opens + MARGIN)
        assert wait_until(lambda: procs["copier"].poll() is not None, timeout=45)
        assert wait_until(lambda: len(client.reveals(0)) == 5, timeout=45)
        city.goto(windows.reveal_closes + MARGIN)
        results = {name: _result(p) for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    expected = replay_epoch(EventSource(w.system), 0)  # computed here, from events alone
    root = "0x" + expected.root.hex()
    for r in honest:
        assert results[r.name]["root"] == root and results[r.name]["revealed"]
    finalizer = results[honest[0].name]  # the others stop after revealing
    assert (finalizer["finalized_by_me"], finalizer["outcome"], finalizer["final_root"]) == (
        True,
        "FINALIZED",
        root,
    )
    assert results["faulty"]["revealed"] and results["faulty"]["root"] != root
    assert results["copier"] == {
        "copied_from": honest[1].address.lower(),
        "error": "VerifierCommitmentMismatch",
        "args": {"epoch": 0, "resident": copier.address.lower()},
    }

    ledger = w.ledger.events.RecordCredited.get_logs(from_block=city.record.start_block)
    paid = sorted(e["args"]["resident"] for e in ledger if e["args"]["category"] == VERIFICATION)
    assert paid == sorted(r.address for r in honest)
    assert {r.address: w.credit(r) - before[r.address] for r in w.residents} == {
        **{r.address: 20 for r in honest},
        faulty.address: 0,
        copier.address: 0,
    }
    (disagreement,) = city.contract.events.RootDisagreement.get_logs(from_block=0)
    assert dict(disagreement["args"]) == {
        "epoch": 0,
        "root": bytes.fromhex(results["faulty"]["root"][2:]),
        "count": 1,
    }
    (final,) = city.contract.events.EpochFinalized.get_logs(from_block=0)
    assert (final["args"]["root"], final["args"]["revealers"]) == (expected.root, 4)
    (page,) = city.contract.events.WinnersCredited.get_logs(from_block=0)
    assert (page["args"]["credited"], page["args"]["unsettled"]) == (4, 0)
    assert (finalizer["pages_pushed"], finalizer["credited_by_me"], finalizer["unsettled"]) == (
        1,
        4,
        0,
    )

    # Selective disclosure against the finalised root: the right amount passes, a wrong one fails.
    leaf = expected.state.of(honest[0].address)
    assert leaf is not None and leaf.credit == 30
    proof = state_tree(expected.state).proof_of(leaf.resident, leaf.credit, leaf.earned)
    assert city.client().verify_credit(0, leaf.resident, leaf.credit, leaf.earned, proof)
    assert not city.client().verify_credit(0, leaf.resident, leaf.credit + 10, leaf.earned, proof)
    assert not verify_credit(expected.root, leaf.resident, leaf.credit + 10, leaf.earned, proof)
    _prove_and_check_with_the_cli(city, deployment, tmp_path, capsys)


def _prove_and_check_with_the_cli(
    city: City, deployment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`credit verify prove` then `check`, against the finalised epoch 0."""
    capsys.readouterr()
    who = city.world.residents[0].address
    common = ["--rpc-url", city.url, "--deployment", str(deployment)]
    assert cli_main(["verify", "prove", "--epoch", "0", "--resident", who, *common]) == 0
    proof = json.loads(capsys.readouterr().out)
    assert proof["root"] == proof["finalized_root"] and proof["credit"] == 30
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    assert cli_main(["verify", "check", str(path), "--at-least", "25", *common, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chain"] is True
    path.write_text(json.dumps({**proof, "credit": 31}))
    assert cli_main(["verify", "check", str(path), "--at-least", "25", *common, "--json"]) == 1
    out = capsys.readouterr().out
    assert "the proof does not hold" in out
    assert json.JSONDecoder().raw_decode(out)[0] == {
        "epoch": 0,
        "resident": proof["resident"],
        "threshold": 25,
        "python": False,
        "chain": False,
    }


def test_anyone_settles_an_epoch_with_the_cli(
    city: City,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """`credit verify settle`: refused before the reveal window closes; then it finalises and pays,
    from a key that holds no role and never verified."""
    w = city.world
    deployment = tmp_path / "deployment.json"
    city.record.save(deployment)
    monkeypatch.setenv("CREDIT_PROFILE", "dev")
    monkeypatch.setenv("CREDIT_VERIFIER_KEY", "0x" + w.outsider.key.hex())
    get_settings.cache_clear()  # built once per process: read the environment set here
    request.addfinalizer(get_settings.cache_clear)
    voters = w.residents[:QUORUM]
    clients = [VerifierClient(city.contract, r.tx, decoder=w.system.decoder) for r in voters]
    windows, root, salt = city.client().windows(1), b"\x01" * 32, b"\x02" * 32
    city.goto(windows.commit_opens + MARGIN)
    for r, c in zip(voters, clients, strict=True):
        c.commit(1, commitment_of(root, salt, r.address))
    city.goto(windows.reveal_opens + MARGIN)
    for c in clients:
        c.reveal(1, root, salt)
    argv = [
        "verify",
        "settle",
        "--epoch",
        "1",
        "--rpc-url",
        city.url,
        "--deployment",
        str(deployment),
        "--json",
    ]
    capsys.readouterr()
    assert cli_main(argv) == 1
    assert f"epoch 1's reveal window closes at {windows.reveal_closes}" in capsys.readouterr().out
    city.goto(windows.reveal_closes + MARGIN)
    assert cli_main(argv) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["finalized_by_me"], done["outcome"], done["final_root"]) == (
        True,
        "FINALIZED",
        "0x" + root.hex(),
    )
    assert (done["pages_pushed"], done["credited_by_me"], done["unsettled"]) == (1, QUORUM, 0)
