"""Private proofs added to a running city with the CLI, then verified by residents' workers.

On a real node (anvil): `credit zk deploy` lists private proofs in the deployment file; from then
on `credit verify run` commits, reveals and settles the epoch's Poseidon root beside its state
root, and both finalise on what this test computes from the chain alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit.artifacts import Artifact
from credit.chain import attach, rpc_web3, time_travel
from credit.chain.deploy import DeploymentRecord
from credit.chain.events import EventSource
from credit.chain.verifier import VerifierClient
from credit.chain.zk import ROOTS_ENTRY, attach_private_proofs, identity_commitments
from credit.cli import main as cli_main
from credit.ruleset import RuleSet
from credit.settings import get_settings
from credit.verify.poseidon_root import poseidon_root
from credit.verify.replay import replay_epoch
from tests.support.anvil import anvil
from tests.support.ledger_flows import credit
from tests.support.private_proofs import register, wallet_secret
from tests.support.world import World, add_verifier, build_world

MARGIN = 60


@pytest.fixture(scope="module")
def city(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World, Path]]:
    with anvil() as url:
        world = build_world(rpc_web3(url), artifacts, ruleset, residents=5, seed=11)
        add_verifier(world, artifacts)  # quorum 2, two-day windows
        path = tmp_path_factory.mktemp("zk-cli") / "deployment.json"
        world.system.record.save(path)
        yield url, world, path


def _cli(
    argv: list[str], key: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """``credit ARGV`` in this process, in the dev profile, with ``key`` as the verifier key."""
    monkeypatch.setenv("CREDIT_PROFILE", "dev")
    monkeypatch.setenv("CREDIT_VERIFIER_KEY", "0x" + key.hex())
    get_settings.cache_clear()  # built once per process: read the environment set here
    capsys.readouterr()
    code = cli_main(argv)
    get_settings.cache_clear()
    return code, capsys.readouterr().out


def test_zk_deploy_then_verify_run_agrees_both_roots(
    city: tuple[str, World, Path],
    artifacts: dict[str, Artifact],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, w, path = city
    common = ["--rpc-url", url, "--deployment", str(path)]
    code, out = _cli(["zk", "deploy", "--dev", *common], w.operator.key, monkeypatch, capsys)
    assert code == 0, out
    assert json.loads(out)["poseidon_roots"]
    record = DeploymentRecord.from_json(path.read_text())
    assert {"IdentityRegistry", ROOTS_ENTRY, "CreditAtLeastVerifier"} <= set(record.contracts)
    again = _cli(["zk", "deploy", "--dev", *common], w.operator.key, monkeypatch, capsys)
    assert again[0] == 1 and "lists private proofs already" in again[1]
    system = attach(w.w3, record, artifacts)
    proofs = attach_private_proofs(system, artifacts)
    assert proofs is not None

    alice, bob, carol, dave, erin = w.residents
    credit(w, alice, units=3)
    credit(w, bob, units=1)
    chain_id = int(w.w3.eth.chain_id)
    for who in (alice, bob, carol):
        register(w, proofs, who, wallet_secret(who, chain_id))

    keccak = VerifierClient(
        system.w3.eth.contract(
            address=record.contracts["EpochVerifier"].address, abi=artifacts["EpochVerifier"].abi
        )
    )
    windows = keccak.windows(0)
    voters = (dave, erin)

    def run(who: int, *extra: str) -> tuple[int, str]:
        voter = voters[who]
        argv = [
            *["verify", "run", *common, "--epoch", "0", "--timeout", "0", "--poll", "0.01"],
            *["--state-dir", str(tmp_path / voter.name), "--json", *extra],
        ]
        return _cli(argv, voter.key, monkeypatch, capsys)

    time_travel(w.w3, windows.commit_opens + MARGIN - w.now())
    for i in range(2):
        assert run(i)[0] == 1  # committed both; then gave up waiting for the reveal window
    time_travel(w.w3, windows.reveal_opens + MARGIN - w.now())
    reports = [json.loads(run(i)[1]) for i in range(2)]
    time_travel(w.w3, windows.reveal_closes + MARGIN - w.now())
    code, out = run(0, "--finalize")
    assert code == 0, out
    final = json.loads(out)

    replay = replay_epoch(EventSource(system), 0)  # computed here, from the chain alone
    commitments = identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
    expected = "0x" + poseidon_root(replay.state, commitments).hex()
    for report in reports:
        assert (report["root"], report["revealed"]) == ("0x" + replay.root.hex(), True)
        assert (report["tracks"]["poseidon"]["root"], report["tracks"]["poseidon"]["revealed"]) == (
            expected,
            True,
        )
    assert (final["outcome"], final["final_root"]) == ("FINALIZED", "0x" + replay.root.hex())
    poseidon = final["tracks"]["poseidon"]
    assert (poseidon["outcome"], poseidon["final_root"], poseidon["finalized_by_me"]) == (
        "FINALIZED",
        expected,
        True,
    )
    assert "0x" + proofs.roots.functions.finalRoot(0).call().hex() == expected
