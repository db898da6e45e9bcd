"""Private proofs on a test world, and a resident proving on the gateway's "Prove my credit" page.

On the chain (tests/zk, tests/audit, the web journeys and ``bench.bench_zk``): the private-proof
contracts deployed with the first residents' wallet identities registered
(:func:`deploy_registered`), an epoch's Poseidon root agreed by two residents' commit-reveal
(:func:`finalise_root`), and a whole world with a finalised root and a gate
(:func:`build_zk_world`). In the browser (the zk journeys on a test gateway and on the demo): the
prover page's steps, from "Sign and prove" to the check page the proof's link opens.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.sync_api import Page, expect
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain.verifier import VerifierClient, VerifierTerms, commitment_of
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
from credit.zk.inputs import Statement, circuit_input
from credit.zk.snark import SNARKJS, ZKEY, prove
from credit.zk.tree import PoseidonTree, build_tree, credit_leaves
from tests.support.browser import qr_text
from tests.support.world import VERIFY_WINDOW, Actor, World

needs_prover = pytest.mark.skipif(
    shutil.which("node") is None or not SNARKJS.exists() or not ZKEY.exists(),
    reason="proving needs node, snarkjs (`npm ci`) and the ceremony's zk/credit_at_least/",
)
ROOT = Path(__file__).resolve().parents[2]
WINDOW = VERIFY_WINDOW  # commit and reveal windows of the Poseidon-root instance (each)
LABEL = "city library: credit >= {threshold}"
PROOF_TIMEOUT = 240_000  # ms: proving in the page is CPU-bound and this machine is shared


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
    """``actor`` registers the commitment of ``secret`` by signature, relayed by the operator."""
    chain_id = int(world.w3.eth.chain_id)
    deadline = world.now() + 3600
    commitment = identity_commitment(secret)
    sig = sign_register(
        actor.key, chain_id, proofs.registry.address, actor.address, commitment, deadline
    )
    return register_by_sig(
        world.operator.tx, proofs.registry, actor.address, commitment, deadline, sig
    )


def deploy_registered(
    world: World, artifacts: dict[str, Artifact], *, window: int = WINDOW, registered: int = 3
) -> tuple[PrivateProofs, dict[str, int]]:
    """Private proofs on ``world`` (quorum 2, commit and reveal windows of ``window`` each), and
    the first ``registered`` residents' wallet identities registered. Returns the contracts and
    the residents' secrets by name; the world's deployment record is left to the caller."""
    terms = VerifierTerms(quorum=2, commit_window=window, reveal_window=window)
    proofs = deploy_private_proofs(world.operator.tx, artifacts, world.system, terms)
    chain_id = int(world.w3.eth.chain_id)
    secrets = {a.name: wallet_secret(a, chain_id) for a in world.residents[:registered]}
    for a in world.residents[:registered]:
        register(world, proofs, a, secrets[a.name])
    return proofs, secrets


def finalise_root(world: World, proofs: PrivateProofs, epoch: int, root: bytes) -> None:
    """Residents 4 and 5 (a quorum of two) commit-reveal ``root`` as ``epoch``'s Poseidon root, as
    their verifier workers would, and the first finalises it; the clock moves through the
    windows."""
    voters = world.residents[4:6]
    clients = [VerifierClient(proofs.roots, v.tx, decoder=world.system.decoder) for v in voters]
    windows = clients[0].windows(epoch)
    _to(world, windows.commit_opens + 60)
    salts = [bytes([i + 7]) * 32 for i in range(len(voters))]
    for client, voter, salt in zip(clients, voters, salts, strict=True):
        client.commit(epoch, commitment_of(root, salt, voter.address))
    _to(world, windows.reveal_opens + 60)
    for client, salt in zip(clients, salts, strict=True):
        client.reveal(epoch, root, salt)
    _to(world, windows.reveal_closes + 60)
    clients[0].finalize(epoch, [root])


def _to(world: World, timestamp: int) -> None:
    """Move the clock to ``timestamp`` unless it is there already."""
    if timestamp > world.now():
        world.advance(timestamp - world.now())


def build_zk_world(world: World, artifacts: dict[str, Artifact]) -> ZkWorld:
    """On ``world``: deploy private proofs; register three residents and credit two; let two
    others agree the epoch's Poseidon root by commit-reveal; deploy a gate at the first one's
    credit. The world's deployment record lists the contracts and the gate, as a gateway reads
    them."""
    proofs, secrets = deploy_registered(world, artifacts)
    alice, bob = world.residents[:2]
    for who in (alice, alice, alice, bob):
        world.credit_one(who)
    epoch = world.epoch()
    credits = {r.address.lower(): world.credit(r) for r in world.residents}
    tree = build_tree(credit_leaves(credits, identity_commitments(proofs.registry)))
    finalise_root(world, proofs, epoch, tree.root_bytes)
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
    """Residents 4 and 5 agree ``epoch``'s Poseidon root over the replayed tree
    (:func:`finalise_root`). Returns that tree."""
    from credit.chain.events import EventSource
    from credit.verify.poseidon_root import poseidon_tree
    from credit.verify.replay import replay_epoch

    _to(world, VerifierClient(proofs.roots).windows(epoch).commit_opens + 60)  # the epoch ended
    replay = replay_epoch(EventSource(world.system), epoch)
    tree = poseidon_tree(
        replay.state, identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
    )
    finalise_root(world, proofs, epoch, tree.root_bytes)
    return tree


def alices_proof(zk: ZkWorld) -> tuple[dict[str, Any], Statement]:
    """The first resident's proof for the gate, for a recipient of her choosing (the fourth
    resident's address, a second address of hers), with the statement it proves."""
    data, statement = circuit_input(
        zk.secrets["resident0"],
        zk.tree,
        threshold=zk.threshold,
        scope=zk.scope(),
        recipient=zk.world.residents[3].address,
    )
    proof, public = prove(data)
    assert public == statement.signals()
    return proof, statement


# -- the prover page (/zk/prove.html) and the check page it links to ------------------------------


def register_identity(page: Page, says: str = "Registered.") -> None:
    """Press "Register my identity" (the gateway relays the registration); the page ``says`` so."""
    page.get_by_role("button", name="Register my identity").click()
    expect(page.locator("#identity-status")).to_contain_text(says, timeout=60_000)


def prove_in_page(page: Page, recipient: str | None = None) -> float:
    """Name ``recipient`` (if given), press "Sign and prove" and wait for the page's worker to
    finish the proof. Returns the seconds from the press."""
    if recipient is not None:
        page.locator("#recipient").fill(recipient)
    started = time.monotonic()
    page.get_by_role("button", name="Sign and prove").click()
    expect(page.locator("#done")).to_be_visible(timeout=PROOF_TIMEOUT)
    return time.monotonic() - started


def pass_the_gate(page: Page) -> None:
    """Press "Pass the gate now"; the gateway relays the pass and the page says it passed."""
    page.get_by_role("button", name="Pass the gate now").click()
    expect(page.locator("#pass-status")).to_have_attribute("data-passed", "true", timeout=60_000)


def open_the_link(page: Page) -> str:
    """Open the proof's link, which the QR code holds too (what a phone scanning it opens): the
    check page finds the proof valid, no wallet needed. Returns the link."""
    link = page.locator("#link").get_attribute("href") or ""
    assert qr_text(page, "#qr") == link
    page.goto(link)
    expect(page.locator("#verdict")).to_have_attribute("data-valid", "true", timeout=60_000)
    return link
