"""Python Poseidon and the Poseidon credit tree, held to circomlibjs and to the browser's module."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.zk.identity import (
    identity_commitment,
    nullifier_of,
    scope_of,
    secret_from_signature,
    secret_message,
)
from credit.zk.poseidon import FIELD, poseidon
from credit.zk.tree import DEPTH, ZEROS, CreditLeaf, TreeError, build_tree, credit_leaves
from tests.support.private_proofs import node_json

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is needed for the reference values")

INPUTS = [
    [0],
    [1],
    [FIELD - 1],
    [FIELD + 5],  # reduced first, as circomlibjs's F.e reduces
    [0, 0],
    [1, 2],
    [FIELD - 1, 2**64 - 1],
    [123456789123456789, 987654321987654321],
]
TREES = [
    [],
    [{"commitment": 7, "credit": 50}],
    [{"commitment": c, "credit": (c * 37) % 101} for c in (9, 3, 5, 1, 2**200, FIELD - 1, 11)],
]


def ask_node(question: dict[str, object]) -> dict[str, Any]:
    return node_json("tests/zk/poseidon_node.mjs", question, timeout=120)


IDENTITIES = [
    (bytes(range(65)), 31337, "0x" + "ab" * 20, "city library: credit >= 50"),
    (bytes([0xFF] * 65), 1, "0x00000000000000000000000000000000000000c0", "library-2027-Q1 ü"),
]


@pytest.fixture(scope="module")
def node_answers() -> dict[str, Any]:
    # as decimal strings: JSON numbers past 2**53 lose precision in JavaScript
    trees = [[{k: str(v) for k, v in leaf.items()} for leaf in tree] for tree in TREES]
    return ask_node(
        {
            "reference": [[str(x) for x in xs] for xs in INPUTS],
            "trees": trees,
            "identities": [
                {"signature": "0x" + sig.hex(), "chainId": chain, "gate": gate, "label": label}
                for sig, chain, gate, label in IDENTITIES
            ],
        }
    )


@pytest.mark.parametrize("i", range(len(INPUTS)), ids=[str(x)[:30] for x in INPUTS])
def test_python_poseidon_matches_circomlibjs_and_the_browser(
    node_answers: dict[str, Any], i: int
) -> None:
    expected = int(node_answers["reference"][i])
    assert poseidon(*INPUTS[i]) == expected
    assert int(node_answers["browser"][i]) == expected


@pytest.mark.parametrize("i", range(len(TREES)), ids=["empty", "one", "seven"])
def test_browser_and_python_poseidon_roots_are_equal(node_answers: dict[str, Any], i: int) -> None:
    tree = build_tree(CreditLeaf(x["commitment"], x["credit"]) for x in TREES[i])
    assert "0x" + tree.root_bytes.hex() == node_answers["roots"][i]
    assert tree.root != 0


def test_empty_tree_root_is_the_top_zero() -> None:
    assert build_tree([]).root == ZEROS[DEPTH]
    assert ZEROS[1] == poseidon(0, 0)


@settings(max_examples=15, deadline=None)
@given(
    st.dictionaries(st.integers(1, FIELD - 1), st.integers(0, 2**64 - 1), min_size=1, max_size=9)
)
def test_every_path_leads_to_the_root(leaves: dict[int, int]) -> None:
    tree = build_tree(CreditLeaf(c, x) for c, x in leaves.items())
    for index, leaf in enumerate(tree.leaves):
        path = tree.path(index)
        node = leaf.hash
        for sibling, right in zip(path.elements, path.indices, strict=True):
            node = poseidon(sibling, node) if right else poseidon(node, sibling)
        assert node == tree.root


@pytest.mark.parametrize(
    ("leaves", "message"),
    [
        pytest.param([CreditLeaf(0, 1)], "non-zero field element", id="zero-commitment"),
        pytest.param([CreditLeaf(FIELD, 1)], "non-zero field element", id="commitment-too-big"),
        pytest.param([CreditLeaf(5, 1), CreditLeaf(5, 2)], "appears twice", id="duplicate"),
        pytest.param([CreditLeaf(5, 2**64)], "outside", id="credit-too-big"),
    ],
)
def test_bad_leaves_are_refused(leaves: list[CreditLeaf], message: str) -> None:
    with pytest.raises(TreeError, match=message):
        build_tree(leaves)


def test_credit_leaves_keep_registered_residents_and_clamp_credit() -> None:
    credits = {"0xaa": 70, "0xbb": -3, "0xcc": 2**70}
    commitments = {"0xaa": 11, "0xbb": 12}
    assert sorted(credit_leaves(credits, commitments), key=lambda x: x.commitment) == [
        CreditLeaf(11, 70),
        CreditLeaf(12, 0),
    ]
    assert credit_leaves({"0xcc": 2**70}, {"0xcc": 1}) == [CreditLeaf(1, 2**64 - 1)]


@pytest.mark.parametrize("i", range(len(IDENTITIES)))
def test_browser_and_python_derive_the_same_identity(node_answers: dict[str, Any], i: int) -> None:
    signature, chain_id, gate, label = IDENTITIES[i]
    browser = node_answers["identities"][i]
    secret = secret_from_signature(signature)
    scope = scope_of(chain_id, gate, label)
    assert browser["message"] == secret_message(chain_id)
    assert int(browser["secret"]) == secret
    assert int(browser["commitment"]) == identity_commitment(secret)
    assert int(browser["scope"]) == scope
    assert int(browser["nullifier"]) == nullifier_of(secret, scope)
