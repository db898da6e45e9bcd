"""Private proofs through the gateway (real ASGI app, real EVM, real Groth16 proofs): the epoch's
leaves as the Python tree has them, relayed identity registration and relayed gate passes, and
every refusal as a typed 4xx naming the contract's error."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.artifacts import Artifact
from credit.chain.zk import sign_register
from credit.ruleset import RuleSet
from credit.zk.identity import identity_commitment
from tests.support.private_proofs import (
    ZkWorld,
    alices_proof,
    build_zk_world,
    needs_prover,
    wallet_secret,
)
from tests.support.world import World
from tests.web.server import gateway_world as live_world

pytestmark = needs_prover


@pytest.fixture(scope="module")
def gateway_world(artifacts: dict[str, Artifact], ruleset: RuleSet) -> World:
    """The gateway's city: its minter key (which relays these writes) funded."""
    return live_world(artifacts, ruleset)


@pytest.fixture(scope="module")
def zk(gateway_world: World, artifacts: dict[str, Artifact]) -> ZkWorld:
    return build_zk_world(gateway_world, artifacts)


@pytest.fixture(scope="module")
def bundle(zk: ZkWorld) -> dict[str, Any]:
    """Alice's proof for the gate, for her second address, as the prover page sends it."""
    proof, statement = alices_proof(zk)
    return {"epoch": zk.epoch, "public": statement.signals(), "proof": proof}


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


def test_the_overview_lists_contracts_gate_and_finalised_epoch(
    zk: ZkWorld, client: TestClient
) -> None:
    body = client.get("/v1/zk").json()
    assert body["identity_registry"] == zk.proofs.registry.address
    assert body["poseidon_roots"] == zk.proofs.roots.address
    (gate,) = body["gates"]
    assert gate["address"] == zk.gate.address
    assert gate["threshold"] == zk.threshold
    assert int(gate["scope"]) == zk.scope()
    assert gate["label"] == zk.gate.functions.label().call()
    assert body["finalised_epochs"] == [{"epoch": zk.epoch, "root": f"0x{zk.tree.root:064x}"}]


def test_the_leaves_are_the_python_tree(zk: ZkWorld, client: TestClient) -> None:
    body = client.get(f"/v1/zk/epochs/{zk.epoch}/leaves").json()
    assert body["root"] == f"0x{zk.tree.root:064x}"
    assert body["leaves"] == [
        {"commitment": str(x.commitment), "credit": str(x.credit)} for x in zk.tree.leaves
    ]
    assert len(body["leaves"]) == 3


@pytest.mark.parametrize("after", [1, 1000], ids=["not-finalised-yet", "far-future"])
def test_an_epoch_without_a_finalised_root_is_404(
    zk: ZkWorld, client: TestClient, after: int
) -> None:
    epoch = zk.epoch + after
    error = _error(client.get(f"/v1/zk/epochs/{epoch}/leaves"), 404, "epoch_not_finalised")
    assert error["details"] == {"epoch": epoch}


def _register_body(zk: ZkWorld, who: int, *, signer: int | None = None) -> dict[str, Any]:
    world = zk.world
    actor, key_of = world.residents[who], world.residents[who if signer is None else signer]
    commitment = identity_commitment(wallet_secret(actor, zk.chain_id))
    deadline = world.now() + 3600
    signature = sign_register(
        key_of.key, zk.chain_id, zk.proofs.registry.address, actor.address, commitment, deadline
    )
    return {
        "resident": actor.address,
        "commitment": str(commitment),
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }


def test_a_registration_is_relayed_and_refused_twice(zk: ZkWorld, client: TestClient) -> None:
    body = _register_body(zk, 4)
    resident = body["resident"]
    assert client.get(f"/v1/zk/identities/{resident}").json()["commitment"] is None
    answer = client.post("/v1/zk/identities", json=body)
    assert answer.status_code == 202, answer.text
    got = client.get(f"/v1/zk/identities/{resident}").json()
    assert got["commitment"] == body["commitment"]
    error = _error(client.post("/v1/zk/identities", json=body), 409, "already_registered")
    assert error["details"]["error"] == "IdentityAlreadyRegistered"


def test_a_registration_signed_by_someone_else_is_refused(zk: ZkWorld, client: TestClient) -> None:
    body = _register_body(zk, 4, signer=5)
    error = _error(client.post("/v1/zk/identities", json=body), 403, "bad_signature")
    assert error["details"]["signer"].lower() == zk.world.residents[5].address.lower()
    expired = {**_register_body(zk, 4), "deadline": zk.world.now() - 1}
    _error(client.post("/v1/zk/identities", json=expired), 422, "expired")


def test_a_taken_commitment_is_refused_by_the_contract(zk: ZkWorld, client: TestClient) -> None:
    """Resident 4 signs Alice's (registered) commitment: the signature is good, the registry's
    rule refuses it, and the 4xx names its custom error."""
    body = _register_body(zk, 4)
    alice = identity_commitment(zk.secrets["resident0"])
    deadline = body["deadline"]
    actor = zk.world.residents[4]
    signature = sign_register(
        actor.key, zk.chain_id, zk.proofs.registry.address, actor.address, alice, deadline
    )
    taken = {**body, "commitment": str(alice), "signature": "0x" + signature.hex()}
    error = _error(client.post("/v1/zk/identities", json=taken), 409, "commitment_taken")
    args = {"commitment": str(alice)}
    assert error["details"] == {"error": "IdentityCommitmentTaken", "args": args}


def test_a_pass_is_relayed_once(zk: ZkWorld, client: TestClient, bundle: dict[str, Any]) -> None:
    url = f"/v1/zk/gates/{zk.gate.address}/passes"
    status = f"/v1/zk/gates/{zk.gate.address}/nullifiers/{bundle['public'][3]}"
    assert client.get(status).json()["used"] is False
    answer = client.post(url, json=bundle)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["recipient"] == zk.world.residents[3].address.lower()
    assert body["gas_used"] <= 300_000, body
    print(f"relayed pass: {body['gas_used']} gas")
    assert zk.gate.functions.isNullifierUsed(int(body["nullifier"])).call()
    assert client.get(status).json() == {
        "gate": zk.gate.address,
        "nullifier": body["nullifier"],
        "used": True,
    }
    receipt = zk.world.w3.eth.get_transaction_receipt(body["tx_hash"])
    (event,) = zk.world.events(receipt, "Passed", zk.gate)
    assert event["args"]["recipient"] == zk.world.residents[3].address
    error = _error(client.post(url, json=bundle), 409, "nullifier_used")
    assert error["details"] == {
        "error": "GateNullifierUsed",
        "args": {"nullifier": body["nullifier"]},
    }


def test_a_pass_for_another_recipient_or_gate_is_refused(
    zk: ZkWorld, client: TestClient, bundle: dict[str, Any]
) -> None:
    url = f"/v1/zk/gates/{zk.gate.address}/passes"
    copied = {**bundle, "public": [*bundle["public"][:4], str(int(zk.world.outsider.address, 16))]}
    error = _error(client.post(url, json=copied), 422, "invalid_proof")
    assert error["details"]["error"] == "GateInvalidProof"
    stale = {**bundle, "epoch": zk.epoch + 1}
    error = _error(client.post(url, json=stale), 409, "unknown_root")
    assert error["details"]["error"] == "GateUnknownRoot"
    other = "0x" + "12" * 20
    _error(client.post(f"/v1/zk/gates/{other}/passes", json=bundle), 404, "unknown_gate")
    bad = {**bundle, "public": bundle["public"][:4]}
    _error(client.post(url, json=bad), 422, "invalid_request")
