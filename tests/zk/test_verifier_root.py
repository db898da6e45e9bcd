"""The Python verifier's Poseidon root of an epoch is the one the residents finalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain.events import EventSource
from credit.chain.verifier import VerifierClient
from credit.chain.zk import identity_commitments, record_private_proofs
from credit.verify.errors import VerifyError
from credit.verify.poseidon_root import poseidon_root, poseidon_tree
from credit.verify.replay import replay_epoch
from credit.verify.worker import BallotStore, EpochReport, Worker
from tests.support.private_proofs import ZkWorld, needs_prover
from tests.support.world import World, add_verifier

pytestmark = needs_prover


def test_the_replayed_poseidon_root_is_the_finalised_one(world: World, zk: ZkWorld) -> None:
    replay = replay_epoch(EventSource(world.system), zk.epoch)
    commitments = identity_commitments(zk.proofs.registry, to_block=replay.facts.as_of_block)
    root = poseidon_root(replay.state, commitments)
    assert root == zk.tree.root_bytes
    assert zk.proofs.roots.functions.finalRoot(zk.epoch).call() == root
    # only residents who registered a commitment are leaves, each with their epoch-end credit
    tree = poseidon_tree(replay.state, commitments)
    assert len(tree.leaves) == len(commitments) == 3
    assert sorted(leaf.credit for leaf in tree.leaves) == sorted(
        world.credit(r) for r in world.residents[:3]
    )


def test_a_commitment_registered_after_the_epoch_is_left_out(world: World, zk: ZkWorld) -> None:
    from tests.support.private_proofs import register, wallet_secret

    late = world.residents[4]
    register(world, zk.proofs, late, wallet_secret(late, zk.chain_id))
    replay = replay_epoch(EventSource(world.system), zk.epoch)
    commitments = identity_commitments(zk.proofs.registry, to_block=replay.facts.as_of_block)
    assert late.address.lower() not in commitments
    assert poseidon_root(replay.state, commitments) == zk.tree.root_bytes


def test_residents_workers_agree_the_poseidon_root(
    world: World, zk: ZkWorld, tmp_path: Path
) -> None:
    """The unchanged verifier worker, given the Poseidon root function, runs commit-reveal on the
    Poseidon-root instance: two residents agree and the root is finalised (nobody is credited:
    that instance holds no ledger role, and settling says so instead of failing)."""
    source = EventSource(world.system)

    def root_of(epoch: int) -> bytes:
        replay = replay_epoch(source, epoch)
        registry = zk.proofs.registry
        return poseidon_root(
            replay.state, identity_commitments(registry, to_block=replay.facts.as_of_block)
        )

    epoch = world.epoch()
    decoder = world.system.decoder
    clients = [VerifierClient(zk.proofs.roots, v.tx, decoder=decoder) for v in world.residents[4:]]
    store = BallotStore(tmp_path)
    workers = [Worker(c, root_of, store, finalize=i == 0, timeout=0) for i, c in enumerate(clients)]
    windows = clients[0].windows(epoch)

    _run(world, workers, epoch, windows.commit_opens)
    _run(world, workers, epoch, windows.reveal_opens)
    world.advance(windows.reveal_closes + 60 - world.now())
    report = workers[0].run(epoch)
    assert report.outcome == "FINALIZED"
    assert zk.proofs.roots.functions.finalRoot(epoch).call() == root_of(epoch)
    assert report.credited_by_me == 0


def test_the_browser_replay_computes_the_same_poseidon_root(
    world: World, zk: ZkWorld, tmp_path: Path
) -> None:
    """The browser's replay (js/verify/poseidon_replay.js, under node, over the chain as a JSON-RPC
    node serves it) reaches the finalised Poseidon root, and the keccak root beside it."""
    from tests.verify.test_browser_replay import _dump, _node_roots

    dump = _dump(world)
    dump["deployment"]["identityRegistry"] = zk.proofs.registry.address.lower()
    answer = _node_roots(dump, tmp_path, range(zk.epoch, zk.epoch + 1))[zk.epoch]
    assert answer["poseidonRoot"] == "0x" + zk.tree.root_bytes.hex()
    assert answer["root"] == "0x" + replay_epoch(EventSource(world.system), zk.epoch).root.hex()


def _with_both_verifiers(
    world: World, zk: ZkWorld, artifacts: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch
) -> Contract:
    """The keccak-root EpochVerifier deployed and, beside it, the private proofs listed in the
    world's deployment record, as a city's deployment file lists them (restored after the test)."""
    monkeypatch.setattr(world.system, "record", world.system.record)
    keccak = add_verifier(world, artifacts)
    world.system.record = record_private_proofs(world.system.record, zk.proofs)
    return keccak


def _cli_worker(
    world: World, artifacts: dict[str, Artifact], who: int, store: BallotStore, **kw: Any
) -> Worker:
    """The worker `credit verify run` builds (its own helpers), for resident ``who``."""
    from credit.cli.verify_cmd import _client, _epoch_roots, _poseidon_tracks

    resident = world.residents[who]
    client = _client(world.system, artifacts, resident.key)
    roots = _epoch_roots(world.system, artifacts, 0)
    tracks = _poseidon_tracks(world.system, artifacts, client, roots)
    return Worker(client, roots.keccak_root, store, timeout=0, tracks=tracks, **kw)


def _run(world: World, workers: list[Worker], epoch: int, until: int) -> list[EpochReport | None]:
    world.advance(until + 60 - world.now())
    reports: list[EpochReport | None] = []
    for w in workers:
        try:
            reports.append(w.run(epoch))
        except VerifyError:  # timeout=0: stops at its next wait; the test moves the clock
            reports.append(None)
    return reports


def test_credit_verify_run_commits_and_reveals_both_roots(
    world: World,
    zk: ZkWorld,
    artifacts: dict[str, Artifact],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`credit verify run` on a deployment listing private proofs: each resident's one replay of
    the epoch gives the keccak root and the Poseidon root; both are committed, revealed and
    finalised on their own instances, with one report per root."""
    keccak = _with_both_verifiers(world, zk, artifacts, monkeypatch)
    epoch = world.epoch()
    store = BallotStore(tmp_path)
    workers = [_cli_worker(world, artifacts, who, store, finalize=who == 4) for who in (4, 5)]
    windows = VerifierClient(keccak).windows(epoch)
    assert VerifierClient(zk.proofs.roots).windows(epoch) == windows
    _run(world, workers, epoch, windows.commit_opens)
    assert all(
        VerifierClient(c).ballot(epoch, world.residents[i].address) == (True, False)
        for c in (keccak, zk.proofs.roots)
        for i in (4, 5)
    )
    _run(world, workers, epoch, windows.reveal_opens)
    (report,) = _run(world, workers[:1], epoch, windows.reveal_closes)
    assert report is not None

    replay = replay_epoch(EventSource(world.system), epoch)  # computed here, from events alone
    commitments = identity_commitments(zk.proofs.registry, to_block=replay.facts.as_of_block)
    expected = poseidon_root(replay.state, commitments)
    assert keccak.functions.finalRoot(epoch).call() == replay.root
    assert zk.proofs.roots.functions.finalRoot(epoch).call() == expected
    assert (report.outcome, report.final_root, report.credited_by_me) == (
        "FINALIZED",
        "0x" + replay.root.hex(),
        2,  # the keccak instance pays both verifiers
    )
    track = report.tracks["poseidon"]
    assert (track.outcome, track.final_root, track.revealed, track.finalized_by_me) == (
        "FINALIZED",
        "0x" + expected.hex(),
        True,
        True,
    )
    assert track.credited_by_me == 0  # the Poseidon instance holds no ledger role
    # ballots are kept per verifier instance: two files per resident
    assert len(list(tmp_path.glob("*.json"))) == 4


def test_a_missed_poseidon_window_does_not_stop_the_main_root(
    world: World,
    zk: ZkWorld,
    artifacts: dict[str, Artifact],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resident who committed the keccak root with a worker that did not know private proofs,
    and runs one that does once the commit window closed, still reveals the keccak root; the
    Poseidon root is skipped with a note."""
    keccak = _with_both_verifiers(world, zk, artifacts, monkeypatch)
    epoch = world.epoch()
    store = BallotStore(tmp_path)
    worker = _cli_worker(world, artifacts, 4, store)
    plain = Worker(worker.client, worker.root_of, store, timeout=0)  # no Poseidon track
    windows = VerifierClient(keccak).windows(epoch)
    assert _run(world, [plain], epoch, windows.commit_opens) == [None]
    (report,) = _run(world, [worker], epoch, windows.reveal_opens)
    assert report is not None and report.revealed
    track = report.tracks["poseidon"]
    assert (track.committed, track.revealed) == (False, False)
    assert track.notes == [
        f"the commit window of epoch {epoch} (poseidon root) closed at "
        f"{windows.reveal_opens}: not verified this epoch"
    ]


def test_a_lost_poseidon_ballot_does_not_stop_the_main_root(
    world: World,
    zk: ZkWorld,
    artifacts: dict[str, Artifact],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both roots committed, then the Poseidon ballot file is lost: the keccak root is still
    revealed; the Poseidon one cannot be, and the report says why."""
    keccak = _with_both_verifiers(world, zk, artifacts, monkeypatch)
    epoch = world.epoch()
    store = BallotStore(tmp_path)
    worker = _cli_worker(world, artifacts, 4, store)
    windows = VerifierClient(keccak).windows(epoch)
    assert _run(world, [worker], epoch, windows.commit_opens) == [None]  # committed both
    me = world.residents[4].address
    store.path(zk.proofs.roots.address, epoch, me).unlink()
    (report,) = _run(world, [worker], epoch, windows.reveal_opens)
    assert report is not None and report.revealed
    assert VerifierClient(keccak).ballot(epoch, me) == (True, True)
    assert VerifierClient(zk.proofs.roots).ballot(epoch, me) == (True, False)
    track = report.tracks["poseidon"]
    assert (track.committed, track.revealed) == (True, False)
    (note,) = track.notes
    assert note.startswith(f"you committed to epoch {epoch}'s poseidon root but its ballot file")
