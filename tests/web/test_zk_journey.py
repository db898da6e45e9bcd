"""Journey: a resident registers an identity, proves "credit at least X" in the browser and passes
a gate, all from the "Prove my credit" page and through the gateway.

Headless Chromium with the resident's wallet (a real key). The page lists the gateway's gates
and newest finalised period (GET /v1/zk); the resident registers their identity commitment
(an EIP-712 signature the gateway relays), the residents' verifiers agree the next period's
Poseidon root (done here as their workers would), and the resident proves in the page's Web
Worker against that period's leaves (GET /v1/zk/epochs/E/leaves), gets a QR code and a link to
the check page, and passes the gate through the gateway. The pass is on chain, the check page
says the proof is valid, and a second pass is refused by the gate's custom error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from credit.artifacts import Artifact
from credit.zk.identity import identity_commitment
from credit.zk.inputs import Statement
from tests.support.browser import shot, wallet_page
from tests.support.private_proofs import (
    ZkWorld,
    agree_poseidon_root,
    build_zk_world,
    needs_prover,
    open_the_link,
    pass_the_gate,
    prove_in_page,
    register_identity,
    wallet_secret,
)
from tests.web.server import LiveGateway

pytestmark = needs_prover


@pytest.fixture(scope="module")
def zk(gateway: LiveGateway, artifacts: dict[str, Artifact]) -> ZkWorld:
    return build_zk_world(gateway.world, artifacts)


@pytest.fixture
def page(browser: Browser, gateway: LiveGateway, zk: ZkWorld) -> Iterator[Page]:
    """The fourth resident's wallet (not registered yet) on a fresh page."""
    yield from wallet_page(browser, zk.world.residents[3].key, gateway.chain_id)


def test_register_prove_and_pass_the_gate_from_the_browser(
    page: Page, gateway: LiveGateway, zk: ZkWorld
) -> None:
    world = zk.world
    dana, recipient = world.residents[3], world.residents[2].address
    for _ in range(3):  # Dana earns as much as the gate asks
        world.credit_one(dana)
    assert world.credit(dana) >= zk.threshold
    prove_url = f"{gateway.url}/zk/prove.html"

    # 1. register the identity commitment, relayed by the gateway
    page.goto(prove_url)
    expect(page.locator("#gate option")).to_have_count(1)
    expect(page.locator("#gate-threshold")).to_have_text(str(zk.threshold))
    register_identity(page)
    secret = wallet_secret(dana, zk.chain_id)
    registry = zk.proofs.registry
    assert registry.functions.commitmentOf(dana.address).call() == identity_commitment(secret)

    # the residents agree the Poseidon root of the period Dana registered in
    epoch = world.epoch()
    tree = agree_poseidon_root(world, zk.proofs, epoch)
    assert identity_commitment(secret) in {leaf.commitment for leaf in tree.leaves}

    # 2. prove in the page's worker against that period's leaves, for another address of hers
    page.goto(prove_url)
    expect(page.locator("#gate-facts")).to_contain_text(f"period {epoch}")
    seconds = prove_in_page(page, recipient)
    expect(page.locator("#status")).to_contain_text("Proof ready")
    print(f"browser proof, from the click: {seconds:.1f} s; {page.locator('#status').inner_text()}")
    bundle = json.loads(page.locator("#bundle").input_value())
    statement = Statement.from_signals(bundle["public"])
    assert statement.root == tree.root and bundle["epoch"] == epoch
    assert statement.recipient_address == recipient.lower()

    # 3. pass the gate through the gateway (it pays the gas; the proof names the recipient)
    pass_the_gate(page)
    assert zk.gate.functions.isNullifierUsed(statement.nullifier).call()
    shot(page, "zk-prove-passed")
    page.get_by_role("button", name="Pass the gate now").click()
    expect(page.locator("#pass-status")).to_contain_text("Not passed")
    expect(page.locator("#pass-status")).to_contain_text("nullifier_used")

    # 4. the service opens the link (or scans the QR code): no wallet needed
    link = open_the_link(page)
    assert "/zk/check.html?proof=" in link and len(link) < 1000, link
    expect(page.locator("#verdict")).to_contain_text(f"at least {zk.threshold}")
    expect(page.locator("dd[data-key=recipient]")).to_have_text(recipient.lower())
    expect(page.locator("dd[data-key=passed]")).to_contain_text("yes: the gate recorded")
    shot(page, "zk-check-valid")


def test_the_check_page_refuses_a_tampered_bundle(
    page: Page, gateway: LiveGateway, zk: ZkWorld
) -> None:
    page.goto(f"{gateway.url}/zk/check.html")
    page.locator("#bundle").fill(json.dumps({"public": ["1"], "proof": {}}))
    page.get_by_role("button", name="Check the proof").click()
    expect(page.locator("#verdict")).to_have_attribute("data-valid", "false", timeout=60_000)
    page.goto(f"{gateway.url}/zk/check.html?proof=AQID")
    expect(page.locator("#verdict")).to_contain_text("Not a proof bundle")
