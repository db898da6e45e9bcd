"""Private proofs on a test world: registered identities, a finalised Poseidon root, a gate.

Shared by tests/zk (``conftest.py``) and ``bench.bench_zk``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain.verifier import VerifierClient, commitment_of
from credit.chain.zk import (
    PrivateProofs,
    deploy_gate,
    deploy_private_proofs,
    deploy_recorded_gate,
    identity_commitments,
    record_private_proofs,
    register_by_sig,
    sign_register,
)
from credit.zk.identity import identity_commitment, scope_of, secret_from_signature, secret_message
from credit.zk.snark import SNARKJS, ZKEY
from credit.zk.tree import PoseidonTree, build_tree, credit_leaves
from tests.support.world import Actor, World

needs_prover = pytest.mark.skipif(
    shutil.which("node") is None or not SNARKJS.exists() or not ZKEY.exists(),
    reason="proving needs node, snarkjs (`npm ci`) and the ceremony's zk/credit_at_least/",
)
ROOT = Path(__file__).resolve().parents[2]
WINDOW = 2 * 86400
LABEL = "city library: credit >= {threshold}"


def node_json(script: str, question: object = None, timeout: float = 600) -> dict[str, Any]:
    """Run ``node <script>`` (a path from the project root) with ``question`` as JSON on stdin,
    and return the JSON it prints."""
    out = subprocess.run(
        ["node", str(ROOT / script)],
        input=json.dumps(question),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=timeout,
    )
    answer: dict[str, Any] = json.loads(out.stdout)
    return answer


def wallet_secret(actor: Actor, chain_id: int) -> int:
    """The identity secret ``actor``'s wallet derives (as the browser does)."""
    signed = Account.sign_message(encode_defunct(text=secret_message(chain_id)), actor.key)
    return secret_from_signature(bytes(signed.signature))


@dataclass
class ZkWorld:
    world: World
    proofs: PrivateProofs
    gate: Contract
    epoch: int
    tree: PoseidonTree
    secrets: dict[str, int]  # by actor name
    threshold: int

    @property
    def chain_id(self) -> int:
        return int(self.world.w3.eth.chain_id)

    def scope(self, gate: Contract | None = None) -> int:
        g = gate or self.gate
        return scope_of(self.chain_id, g.address, g.functions.label().call())

    def new_gate(self, artifacts: dict[str, Artifact], threshold: int, label: str) -> Contract:
        return deploy_gate(
            self.world.operator.tx, artifacts, self.proofs, threshold=threshold, label=label
        )


def register(world: World, proofs: PrivateProofs, actor: Actor, secret: int) -> Any:
    chain_id = int(world.w3.eth.chain_id)
    deadline = world.now() + 3600
    commitment = identity_commitment(secret)
    sig = sign_register(
        actor.key, chain_id, proofs.registry.address, actor.address, commitment, deadline
    )
    return register_by_sig(
        world.operator.tx, proofs.registry, actor.address, commitment, deadline, sig
    )


def build_zk_world(world: World, artifacts: dict[str, Artifact]) -> ZkWorld:
    """On ``world``: deploy private proofs; credit and register three residents; let two others
    agree the epoch's Poseidon root by commit-reveal; deploy a gate at the first one's credit.
    The world's deployment record lists the contracts and the gate, as a gateway reads them."""
    proofs = deploy_private_proofs(
        world.operator.tx,
        artifacts,
        world.system,
        quorum=2,
        commit_window=WINDOW,
        reveal_window=WINDOW,
    )
    alice, bob, carol = world.residents[:3]
    for who in (alice, alice, alice, bob):
        world.credit_one(who)
    chain_id = int(world.w3.eth.chain_id)
    secrets = {a.name: wallet_secret(a, chain_id) for a in (alice, bob, carol)}
    for a in (alice, bob, carol):
        register(world, proofs, a, secrets[a.name])
    epoch = world.epoch()
    credits = {r.address.lower(): world.credit(r) for r in world.residents}
    tree = build_tree(credit_leaves(credits, identity_commitments(proofs.registry)))
    # The residents agree on the epoch's Poseidon root by commit-reveal on the second instance.
    voters = [world.residents[4], world.residents[5]]
    clients = [VerifierClient(proofs.roots, v.tx, decoder=world.system.decoder) for v in voters]
    windows = clients[0].windows(epoch)
    world.advance(windows.commit_opens + 60 - world.now())
    salts = [bytes([i + 1]) * 32 for i in range(len(voters))]
    for client, voter, salt in zip(clients, voters, salts, strict=True):
        client.commit(epoch, commitment_of(tree.root_bytes, salt, voter.address))
    world.advance(windows.reveal_opens + 60 - world.now())
    for client, salt in zip(clients, salts, strict=True):
        client.reveal(epoch, tree.root_bytes, salt)
    world.advance(windows.reveal_closes + 60 - world.now())
    clients[0].finalize(epoch, [tree.root_bytes])
    threshold = world.credit(alice)
    gate, world.system.record = deploy_recorded_gate(
        world.operator.tx,
        artifacts,
        proofs,
        record_private_proofs(world.system.record, proofs),
        threshold=threshold,
        label=LABEL.format(threshold=threshold),
        name=f"city library: credit ≥ {threshold}",
    )
    return ZkWorld(world, proofs, gate, epoch, tree, secrets, threshold)


def agree_poseidon_root(world: World, proofs: PrivateProofs, epoch: int) -> PoseidonTree:
    """Two residents (the fifth and sixth) agree ``epoch``'s Poseidon root by commit-reveal, as
    their verifier workers would, over the replayed tree; it is finalised. Returns that tree."""
    from credit.chain.events import EventSource
    from credit.verify.poseidon_root import poseidon_tree
    from credit.verify.replay import replay_epoch

    voters = [world.residents[4], world.residents[5]]
    clients = [VerifierClient(proofs.roots, v.tx, decoder=world.system.decoder) for v in voters]
    windows = clients[0].windows(epoch)
    world.advance(windows.commit_opens + 60 - world.now())
    replay = replay_epoch(EventSource(world.system), epoch)
    tree = poseidon_tree(
        replay.state, identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
    )
    salts = [bytes([i + 7]) * 32 for i in range(len(voters))]
    for client, voter, salt in zip(clients, voters, salts, strict=True):
        client.commit(epoch, commitment_of(tree.root_bytes, salt, voter.address))
    world.advance(windows.reveal_opens + 60 - world.now())
    for client, salt in zip(clients, salts, strict=True):
        client.reveal(epoch, tree.root_bytes, salt)
    world.advance(windows.reveal_closes + 60 - world.now())
    clients[0].finalize(epoch, [tree.root_bytes])
    return tree
