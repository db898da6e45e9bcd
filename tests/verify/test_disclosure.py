"""Selective disclosure: Python and Solidity Merkle trees agree; proofs of wrong amounts fail."""

from __future__ import annotations

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.verify.merkle import (
    build_tree,
    encoded_leaf_hash,
    leaf_hash,
    proves_at_least,
    state_root,
    state_tree,
    verify_credit,
)
from credit.verify.state import EpochState, ResidentState
from tests.support.world import World
from tests.verify.rig import Rig

# @openzeppelin/merkle-tree test/dumps/standard-v1.sorted.1_0_6.json: StandardMerkleTree.of(
# [["a"], ..., ["f"]], ["string"]): its root and where each value sits in the tree array.
OZ_ROOT = "0x6deb52b5da8fd108f79fab00341f38d2587896634c646ee52e49f845680a70c8"
OZ_INDEX = {"a": 8, "b": 10, "c": 7, "d": 5, "e": 9, "f": 6}


@pytest.fixture(scope="module")
def harness(deployed: World, artifacts: dict[str, Artifact]) -> Contract:
    art = artifacts["CreditProofHarness"]
    receipt = deployed.operator.tx.deploy(art.abi, art.bytecode)
    address = receipt["contractAddress"]
    return deployed.w3.eth.contract(address=address, abi=art.abi)  # type: ignore[return-value]


def test_python_tree_is_openzeppelins_standard_tree() -> None:
    leaves = {v: encoded_leaf_hash(encode(["string"], [v])) for v in OZ_INDEX}
    tree = build_tree(leaves.values())
    assert "0x" + tree.root.hex() == OZ_ROOT
    assert {v: tree.positions[h] for v, h in leaves.items()} == OZ_INDEX


def test_a_single_resident_tree_needs_no_proof() -> None:
    state = EpochState(0, (ResidentState("0x" + "11" * 20, 5, 2),))
    assert state_tree(state).proof_of("0x" + "11" * 20, 5, 2) == []
    assert verify_credit(state_root(state), "0x" + "11" * 20, 5, 2, [])


leaves_strategy = st.dictionaries(
    st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    st.tuples(st.integers(0, 2**48 - 1), st.integers(0, 2**40 - 1)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(leaves=leaves_strategy, pick=st.integers(0, 10**6))
def test_python_and_solidity_agree_on_random_trees(
    harness: Contract, leaves: dict[str, tuple[int, int]], pick: int
) -> None:
    state = EpochState(0, tuple(ResidentState(a, c, e) for a, (c, e) in sorted(leaves.items())))
    tree = state_tree(state)
    who = state.residents[pick % len(state.residents)]
    proof = tree.proof_of(who.resident, who.credit, who.earned)
    address = Web3.to_checksum_address(who.resident)
    leaf = leaf_hash(who.resident, who.credit, who.earned)
    assert harness.functions.leaf(address, who.credit, who.earned).call() == leaf
    assert harness.functions.rootOf(leaf, proof).call() == tree.root
    assert harness.functions.verify(tree.root, address, who.credit, who.earned, proof).call()
    assert verify_credit(tree.root, who.resident, who.credit, who.earned, proof)
    wrong = who.credit + 1
    assert not harness.functions.verify(tree.root, address, wrong, who.earned, proof).call()
    assert not verify_credit(tree.root, who.resident, wrong, who.earned, proof)


def test_a_resident_proves_credit_against_the_finalised_root(rig: Rig) -> None:
    w = rig.world
    rows = [ResidentState(r.address.lower(), 100 + 10 * i, i) for i, r in enumerate(w.residents)]
    rows += [ResidentState("0x" + f"{i:040x}", i, 0) for i in range(1, 11)]
    state = EpochState(0, tuple(sorted(rows, key=lambda r: int(r.resident, 16))))
    tree, root = state_tree(state), state_root(state)
    rig.vote(0, [(r, root) for r in w.residents[:3]])
    rig.to_finalize(0)
    client = rig.client(w.outsider)
    client.finalize(0)

    alice = state.of(w.residents[2].address)
    assert alice is not None and alice.credit == 120
    proof = tree.proof_of(alice.resident, alice.credit, alice.earned)
    assert client.verify_credit(0, alice.resident, 120, 2, proof)
    assert verify_credit(root, alice.resident, 120, 2, proof)
    for credit, earned in ((121, 2), (119, 2), (120, 3)):  # any other amount fails
        assert not client.verify_credit(0, alice.resident, credit, earned, proof)
        assert not verify_credit(root, alice.resident, credit, earned, proof)
    assert not client.verify_credit(0, w.residents[3].address, 120, 2, proof)  # not their leaf
    for threshold, expected in ((0, True), (120, True), (121, False)):
        assert client.proves_at_least(0, alice.resident, threshold, 120, 2, proof) is expected
        assert proves_at_least(root, alice.resident, threshold, 120, 2, proof) is expected
    assert not client.proves_at_least(0, alice.resident, 100, 150, 2, proof)  # inflated claim
