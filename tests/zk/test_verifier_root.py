"""The Python verifier's Poseidon root of an epoch is the one the residents finalised."""

from __future__ import annotations

from pathlib import Path

from credit.chain.events import EventSource
from credit.chain.verifier import VerifierClient
from credit.chain.zk import identity_commitments
from credit.verify.errors import VerifyError
from credit.verify.poseidon_root import poseidon_root, poseidon_tree
from credit.verify.replay import replay_epoch
from credit.verify.worker import BallotStore, Worker
from tests.support.world import World
from tests.zk.rig import ZkWorld, needs_prover

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
    from tests.zk.rig import register, wallet_secret

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

    def run_all(until: int) -> list[object]:
        world.advance(until + 60 - world.now())
        reports = []
        for w in workers:
            try:
                reports.append(w.run(epoch))
            except VerifyError:  # timeout=0: stops at its next wait; the test moves the clock
                reports.append(None)
        return reports

    run_all(windows.commit_opens)
    run_all(windows.reveal_opens)
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
