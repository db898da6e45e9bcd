"""Verifying the ledger from the browser, end to end on a live gateway with an EpochVerifier: a
resident computes the last period's root in a Web Worker (equal to the Python worker's root),
seals it with the wallet (relayed, no gas), opens it in the reveal window, and after the gateway
finalises sees that it agreed and the verification credit it earned; in English and Chinese.

The city runs private proofs (three residents registered an identity commitment): the same Web
Worker replay also gives the period's Poseidon credit root, equal to Python's
(:mod:`credit.verify.poseidon_root`), which the page seals and opens on the Poseidon-root
instance through the same gateway path, and which the residents finalise too."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from credit.artifacts import Artifact
from credit.chain.events import EventSource
from credit.chain.verifier import commitment_of, sign_commit
from credit.chain.zk import (
    ROOTS_ENTRY,
    attach_private_proofs,
    identity_commitments,
    record_private_proofs,
)
from credit.ruleset import RuleSet
from credit.verify.poseidon_root import poseidon_root
from credit.verify.replay import replay_epoch
from tests.support.ledger_flows import credit, relay_violation
from tests.support.private_proofs import deploy_registered
from tests.support.world import Actor, World
from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway, gateway_world
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
HOUR = 3600
SETTLED = 30_000  # ms: the gateway's settler finalises and credits every few seconds


@pytest.fixture(scope="module")
def gateway(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """The web tests' city with an EpochVerifier (quorum 2, two-day windows) and private proofs
    (the Poseidon-root instance alike), residents 0-2 registered."""
    world = gateway_world(artifacts, ruleset, verifier=True)
    proofs, _ = deploy_registered(world, artifacts)
    world.system.record = record_private_proofs(world.system.record, proofs)
    live = LiveGateway(world, tmp_path_factory.mktemp("verify-gateway"))
    live.start()
    yield live
    live.stop()


def _to(world: World, timestamp: int) -> None:
    world.advance(timestamp - world.now())


def _other_verifier(
    gateway: LiveGateway, actor: Actor, root: str, step: str, track: str = "state"
) -> None:
    """A second resident's worker seals (``step="commit"``) or opens its root via the gateway."""
    w = gateway.world
    salt = bytes.fromhex("5a" * 32)
    commitment = commitment_of(bytes.fromhex(root[2:]), salt, actor.address)
    if step == "commit":
        deadline = w.now() + HOUR
        entry = "EpochVerifier" if track == "state" else ROOTS_ENTRY
        verifier = w.system.record.contracts[entry].address
        signature = sign_commit(actor.key, gateway.chain_id, verifier, 0, commitment, deadline)
        body = {
            "epoch": 0,
            "resident": actor.address,
            "commitment": "0x" + commitment.hex(),
            "deadline": deadline,
            "signature": "0x" + signature.hex(),
            "track": track,
        }
    else:
        body = {
            "epoch": 0,
            "resident": actor.address,
            "root": root,
            "salt": "0x" + salt.hex(),
            "track": track,
        }
    answer = httpx.post(f"{gateway.url}/v1/verification/{step}s", json=body, timeout=30)
    assert answer.status_code == 202, answer.text


def test_a_resident_verifies_the_ledger_from_the_browser(
    gateway: LiveGateway, open_wallet: OpenWallet, artifacts: dict[str, Artifact]
) -> None:
    w = gateway.world
    me, other = w.residents[0], w.residents[1]
    credit(w, me, units=2)
    credit(w, w.residents[2], category=2, units=1)
    relay_violation(w, w.residents[2], units=1)
    length, genesis = w.ledger.functions.epochSchedule().call()
    _to(w, genesis + length + HOUR)  # epoch 1 has begun: epoch 0's sealing is open
    replay = replay_epoch(EventSource(w.system), 0)
    python_root = "0x" + replay.root.hex()
    proofs = attach_private_proofs(w.system, artifacts)
    assert proofs is not None
    commitments = identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
    assert len(commitments) == 3
    python_poseidon = "0x" + poseidon_root(replay.state, commitments).hex()

    page, _ = open_wallet(me)
    sign_in(page)
    page.locator('#nav [data-view="verify"]').click()
    expect(page).to_have_url(re.compile(r"#/verify$"))
    expect(page.locator("#verify-phase")).to_have_attribute("data-phase", "committing")
    expect(page.get_by_text("earns 20 points of credit")).to_be_visible()
    shot(page, "verify-1-sealing-open")

    page.locator("#verify-compute").click()
    expect(page.locator("#verify-root")).to_have_text(python_root, timeout=60_000)
    expect(page.locator("#verify-poseidon-root")).to_have_text(python_poseidon)
    shot(page, "verify-2-computed")
    page.locator("#verify-commit").click()
    expect(page.get_by_text("Sealed. ✓")).to_be_visible()
    shot(page, "verify-3-sealed")
    _other_verifier(gateway, other, python_root, "commit")
    _other_verifier(gateway, other, python_poseidon, "commit", "poseidon")
    sealed = httpx.get(f"{gateway.url}/v1/verification/epochs/0?track=poseidon", timeout=30).json()
    assert {v["address"].lower() for v in sealed["verifiers"] if v["committed"]} == {
        me.address.lower(),
        other.address.lower(),
    }

    epoch = httpx.get(f"{gateway.url}/v1/verification/epochs/0", timeout=30).json()
    _to(w, epoch["reveal_opens"] + HOUR)
    page.reload()  # the salt comes back from localStorage
    expect(page.locator("#verify-phase")).to_have_attribute("data-phase", "revealing")
    expect(page.locator("#verify-root")).to_have_text(python_root)
    expect(page.locator("#verify-poseidon-root")).to_have_text(python_poseidon)
    page.locator("#verify-reveal").click()
    expect(page.get_by_text("Opened. ✓")).to_be_visible()
    shot(page, "verify-4-opened")
    _other_verifier(gateway, other, python_root, "reveal")
    _other_verifier(gateway, other, python_poseidon, "reveal", "poseidon")

    _to(w, epoch["reveal_closes"] + HOUR)
    expect(page.locator("#verify-phase")).to_have_attribute(
        "data-phase", "finalised", timeout=SETTLED
    )
    expect(page.locator("#verify-consensus")).to_have_text(python_root)
    expect(page.locator("#verify-poseidon-consensus")).to_have_text(python_poseidon)
    expect(page.locator("#verify-outcome")).to_have_class(re.compile(r"\bagreed\b"))
    expect(page.locator("#verify-credit")).to_have_text(
        "You earned 20 points of credit for verifying.", timeout=SETTLED
    )
    shot(page, "verify-5-agreed")
    page.select_option("#lang", "zh")
    expect(page.locator("#verify-credit")).to_have_text("您因核验获得了 20 分信用。")
    shot(page, "verify-6-agreed-zh")
    final = httpx.get(f"{gateway.url}/v1/verification/epochs/0", timeout=30).json()
    mine = next(v for v in final["verifiers"] if v["address"].lower() == me.address.lower())
    assert (final["root"], mine["agreed"], mine["credited"]) == (python_root, True, True)
    private = httpx.get(f"{gateway.url}/v1/verification/epochs/0?track=poseidon", timeout=30)
    private_body = private.json()
    mine = next(v for v in private_body["verifiers"] if v["address"].lower() == me.address.lower())
    assert (private_body["phase"], private_body["root"], mine["agreed"]) == (
        "finalised",
        python_poseidon,
        True,
    )
