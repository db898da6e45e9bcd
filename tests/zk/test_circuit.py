"""The committed circuit artefacts are what the sources make, and the ceremony is consistent.

CI never runs the ~200 s phase-2 preparation: it recompiles the circuit and checks its hashes,
re-exports the verifier from the committed zkey and compares, and proves and verifies a case.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from credit.zk.identity import identity_commitment, scope_of
from credit.zk.inputs import circuit_input
from credit.zk.snark import ARTEFACTS, ZKEY, prove, verify
from credit.zk.tree import CreditLeaf, build_tree
from tests.support.private_proofs import needs_prover, node_json

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPT = ROOT / "rules" / "ceremony" / "credit_at_least.json"
pytestmark = needs_prover


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def check() -> dict[str, Any]:
    return node_json("scripts/zk_check.mjs")


def test_the_circuit_recompiles_to_the_committed_artefacts(check: dict[str, Any]) -> None:
    committed = json.loads((ARTEFACTS / "circuit.json").read_text())
    assert check["recompiled"] == committed
    assert sha256(ARTEFACTS / "credit_at_least.wasm") == committed["wasm_sha256"]
    assert committed["constraints"] <= 8000


def test_the_verifier_is_the_export_of_the_committed_zkey(check: dict[str, Any]) -> None:
    assert check["verifier_matches"], (
        "contracts/zk/CreditAtLeastVerifier.sol differs from the zkey's export: "
        "rerun `node scripts/zk_ceremony.mjs`, never edit the verifier by hand"
    )


def test_the_ceremony_transcript_matches_the_files() -> None:
    transcript = json.loads(TRANSCRIPT.read_text())
    parties = [c["party"] for c in transcript["contributions"]]
    assert len(parties) == len(set(parties)) >= 3
    assert all(
        c["verified"] and len(c["contribution_hash"]) == 128 for c in transcript["contributions"]
    )
    assert transcript["contributions"][-1]["zkey_sha256"] == sha256(ZKEY)
    assert transcript["final"]["zkey_sha256"] == sha256(ZKEY)
    assert transcript["final"]["verification_key_sha256"] == sha256(
        ARTEFACTS / "verification_key.json"
    )
    assert transcript["final"]["verifier_sha256"] == sha256(
        ROOT / "contracts" / "zk" / "CreditAtLeastVerifier.sol"
    )
    assert transcript["phase1"]["sha256"] == sha256(ROOT / transcript["phase1"]["file"])
    circuit = json.loads((ARTEFACTS / "circuit.json").read_text())
    assert transcript["r1cs_sha256"] == circuit["r1cs_sha256"]


def test_a_case_proves_and_verifies_off_chain() -> None:
    secret = 424242
    tree = build_tree([CreditLeaf(identity_commitment(secret), 64), CreditLeaf(99, 3)])
    scope = scope_of(31337, "0x" + "ab" * 20, "library-2027-Q1")
    data, statement = circuit_input(
        secret, tree, threshold=50, scope=scope, recipient="0x" + "cd" * 20
    )
    proof, public = prove(data)
    assert public == statement.signals()
    assert verify(proof, public)
    tampered = [*public[:4], str(int(public[4]) + 1)]
    assert not verify(proof, tampered)
