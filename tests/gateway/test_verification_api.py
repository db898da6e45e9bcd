"""Verification through the gateway: relayed commit-reveal over HTTP, every refusal by its code,
the epoch's public view, and the settler that finalises and credits (real EVM, real ASGI app)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.artifacts import Artifact
from credit.chain.verifier import commitment_of, sign_commit
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.gateway.verification import VerificationSettler
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.world import EPOCH, VERIFY_WINDOW, Actor, World
from tests.web.server import gateway_world as live_world

HOUR = 3600
A = "0x" + "aa" * 32
B = "0x" + "bb" * 32


@pytest.fixture(scope="module")
def gateway_world(artifacts: dict[str, Artifact], ruleset: RuleSet) -> World:
    """The gateway's city with an EpochVerifier (quorum 2, two-day windows)."""
    return live_world(artifacts, ruleset, verifier=True)


@pytest.fixture
def gw_settings(gw_settings: Settings) -> Settings:
    """The journey sends more relayed writes than a client may in a minute by default."""
    return gw_settings.model_copy(update={"verification_writes_per_minute": 1000})


def _salt(actor: Actor) -> str:
    return "0x" + actor.key[::-1].hex()


def _commitment(actor: Actor, root: str, salt: str | None = None) -> str:
    salt_bytes = bytes.fromhex((salt or _salt(actor))[2:])
    return "0x" + commitment_of(bytes.fromhex(root[2:]), salt_bytes, actor.address).hex()


def _commit_body(
    world: World,
    resident: Actor,
    root: str,
    *,
    epoch: int = 0,
    signer: Actor | None = None,
    deadline: int | None = None,
) -> dict[str, Any]:
    commitment = _commitment(resident, root)
    deadline = world.now() + HOUR if deadline is None else deadline
    verifier = view_verifier(world)
    signature = sign_commit(
        (signer or resident).key,
        world.system.record.chain_id,
        verifier,
        epoch,
        bytes.fromhex(commitment[2:]),
        deadline,
    )
    return {
        "epoch": epoch,
        "resident": resident.address,
        "commitment": commitment,
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }


def _reveal_body(resident: Actor, root: str, salt: str | None = None) -> dict[str, Any]:
    return {"epoch": 0, "resident": resident.address, "root": root, "salt": salt or _salt(resident)}


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def view_verifier(world: World) -> str:
    return str(world.system.record.contracts["EpochVerifier"].address)


def _goto(world: World, timestamp: int) -> None:
    world.advance(timestamp - world.now())


def test_the_overview_names_what_a_browser_replays(
    client: TestClient, gateway_world: World
) -> None:
    body = client.get("/v1/verification").json()
    record = gateway_world.system.record
    assert body == {
        "verifier": record.contracts["EpochVerifier"].address,
        "poseidon_verifier": None,  # no private proofs in this city
        "identity_registry": None,
        "chain_id": record.chain_id,
        "category": 4,
        "quorum": 2,
        "epoch_length": EPOCH,
        "genesis": gateway_world.ledger.functions.epochSchedule().call()[1],
        "current_epoch": gateway_world.epoch(),
        "ledger": gateway_world.ledger.address,
        "rule_book": gateway_world.rule_book.address,
        "start_block": record.start_block,
    }


def test_without_a_verifier_the_reads_say_so(services: Services) -> None:
    record = services.system.record
    contracts = {k: v for k, v in record.contracts.items() if k != "EpochVerifier"}
    bare = replace(
        services, system=replace(services.system, record=replace(record, contracts=contracts))
    )
    with TestClient(create_app(bare, start_background=False)) as client:
        assert client.get("/v1/verification").json()["verifier"] is None
        _refused(client.get("/v1/verification/epochs/0"), 404, "no_verifier")
        _refused(client.get("/v1/verification/epochs/0?track=poseidon"), 404, "no_verifier")
        _refused(
            client.post("/v1/verification/reveals", json=_reveal_body_dummy()), 404, "no_verifier"
        )


def _reveal_body_dummy() -> dict[str, Any]:
    return {"epoch": 0, "resident": "0x" + "11" * 20, "root": A, "salt": A}


def test_a_browser_verifier_commits_reveals_and_is_credited(
    client: TestClient, gateway_world: World, services: Services
) -> None:
    world = gateway_world
    ana, bo, chen, dara = world.residents[:4]
    opens = world.ledger.functions.epochSchedule().call()[1] + EPOCH  # epoch 0's commit window

    view = client.get("/v1/verification/epochs/0").json()
    assert (view["phase"], view["commit_opens"], view["verifiers"]) == ("open", opens, [])
    post = lambda path, body: client.post(f"/v1/verification/{path}", json=body)  # noqa: E731
    _refused(post("commits", _commit_body(world, ana, A)), 409, "outside_window")

    _goto(world, opens + HOUR)
    _refused(post("commits", _commit_body(world, ana, A, signer=bo)), 403, "bad_signature")
    broken = {**_commit_body(world, ana, A), "signature": "0x" + "11" * 64 + "05"}
    _refused(post("commits", broken), 400, "bad_signature")
    _refused(post("commits", _commit_body(world, ana, A, deadline=world.now() - 1)), 422, "expired")
    _refused(post("commits", _commit_body(world, world.outsider, A)), 403, "not_resident")
    zero = {**_commit_body(world, ana, A), "commitment": "0x" + "00" * 32}
    deadline, verifier = zero["deadline"], view_verifier(world)
    chain_id = world.system.record.chain_id
    zero["signature"] = (
        "0x" + sign_commit(ana.key, chain_id, verifier, 0, bytes(32), deadline).hex()
    )
    _refused(post("commits", zero), 422, "invalid_commitment")
    signed = _commit_body(world, ana, A)
    v01 = signed["signature"][:-2] + f"{int(signed['signature'][-2:], 16) - 27:02x}"
    sent = post("commits", {**signed, "signature": v01})  # a wallet giving v as 0/1
    assert sent.status_code == 202, sent.text
    receipt = world.w3.eth.get_transaction_receipt(sent.json()["tx_hash"])
    assert receipt["status"] == 1
    _refused(post("commits", signed), 409, "already_committed")  # the same signature again
    for resident, root in ((bo, A), (chen, A), (dara, B)):
        assert post("commits", _commit_body(world, resident, root)).status_code == 202
    _refused(post("reveals", _reveal_body(ana, A)), 409, "outside_window")
    view = client.get("/v1/verification/epochs/0").json()
    assert view["phase"] == "committing"
    assert [(v["committed"], v["revealed"]) for v in view["verifiers"]] == [(True, False)] * 4

    _goto(world, opens + VERIFY_WINDOW + HOUR)
    _refused(post("reveals", _reveal_body(world.residents[4], A)), 409, "not_committed")
    _refused(post("reveals", _reveal_body(ana, B)), 422, "commitment_mismatch")
    _refused(post("reveals", _reveal_body(ana, "0x" + "00" * 32)), 422, "invalid_root")
    _refused(post("reveals", _reveal_body(bo, A, salt=_salt(ana))), 422, "commitment_mismatch")
    for resident, root in ((ana, A), (bo, A), (chen, A), (dara, B)):
        assert post("reveals", _reveal_body(resident, root)).status_code == 202
    _refused(post("reveals", _reveal_body(ana, A)), 409, "already_revealed")
    assert client.get("/v1/verification/epochs/0").json()["phase"] == "revealing"

    settler = VerificationSettler(services)
    assert settler.tick() == []  # the reveal window is still open: nothing is due
    _goto(world, opens + 2 * VERIFY_WINDOW + HOUR)
    assert client.get("/v1/verification/epochs/0").json()["phase"] == "finalising"
    assert settler.tick() == [0]
    assert settler.tick() == []  # finalised and every winner paid: nothing left
    view = client.get("/v1/verification/epochs/0").json()
    by_address = {v["address"]: v for v in view["verifiers"]}
    assert (view["phase"], view["root"], view["reveals"], view["quorum"]) == ("finalised", A, 4, 2)
    assert view["roots"] == [{"root": A, "count": 3}, {"root": B, "count": 1}]
    for agreeing in (ana, bo, chen):
        assert by_address[agreeing.address] == {
            "address": agreeing.address,
            "committed": True,
            "revealed": True,
            "root": A,
            "agreed": True,
            "credited": True,
        }
    assert (by_address[dara.address]["agreed"], by_address[dara.address]["credited"]) == (
        False,
        False,
    )
    assert world.credit(ana) == 20 and world.credit(dara) == 0  # one unit of 20 points
    assert (view["verifier"], view["chain_id"]) == (
        world.system.record.contracts["EpochVerifier"].address,
        world.system.record.chain_id,
    )


def test_relayed_writes_are_rate_limited_per_client(services: Services) -> None:
    settings = services.settings.model_copy(update={"verification_writes_per_minute": 2})
    with TestClient(create_app(replace(services, settings=settings), start_background=False)) as c:
        body = {"epoch": 0, "resident": "0x" + "11" * 20, "root": A, "salt": A}
        statuses = [c.post("/v1/verification/reveals", json=body).status_code for _ in range(3)]
        assert statuses[:2] == [409, 409]  # not committed: refused on its merits, yet counted
        assert statuses[2] == 429


def test_verification_reads_share_the_public_read_budget(services: Services) -> None:
    """Each epoch read makes several chain reads (logs among them): anonymous callers get the
    public pages' per-client budget, not an unlimited window onto the chain."""
    settings = services.settings.model_copy(update={"public_reads_per_minute": 2})
    with TestClient(create_app(replace(services, settings=settings), start_background=False)) as c:
        statuses = [c.get("/v1/verification/epochs/0").status_code for _ in range(2)]
        assert statuses == [200, 200]
        refused = c.get("/v1/verification")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert int(refused.headers["Retry-After"]) >= 1
