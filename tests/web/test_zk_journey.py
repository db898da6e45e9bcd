"""Journey: a resident proves "credit at least X" in the browser and passes the demo's gate.

The prover page runs in headless Chromium with the resident's wallet (a real key): the wallet
signs the fixed message, the page derives the secret, finds the leaf, proves in its Web Worker and
shows the bundle and a link to the check page. The bundle then passes the real CreditGate on the
chain (relayed by someone else), and the public check page says it is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from credit.artifacts import Artifact
from credit.chain.zk import pass_gate
from credit.zk.inputs import Statement, gate_proof_args
from tests.web.conftest import DESKTOP, shot
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet
from tests.zk.rig import ZkWorld, build_zk_world, needs_prover

pytestmark = needs_prover


@pytest.fixture(scope="module")
def zk(gateway: LiveGateway, artifacts: dict[str, Artifact]) -> ZkWorld:
    return build_zk_world(gateway.world, artifacts)


@pytest.fixture
def page(browser: Browser, gateway: LiveGateway, zk: ZkWorld) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    FakeWallet(zk.world.residents[0].key, gateway.chain_id).install(context)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Refused" in m.text else None,
    )
    # The epoch's public leaves, as the verifiers publish them (served here by the test).
    leaves = [{"commitment": str(x.commitment), "credit": str(x.credit)} for x in zk.tree.leaves]

    def serve_leaves(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(leaves))

    page.route("**/zk/epoch-leaves.json", serve_leaves)
    yield page
    context.close()
    assert problems == []


def test_prove_in_the_browser_and_pass_the_gate(
    page: Page, gateway: LiveGateway, zk: ZkWorld
) -> None:
    recipient = zk.world.residents[3].address
    label = zk.gate.functions.label().call()
    query = (
        f"chain={gateway.chain_id}&gate={zk.gate.address}&label={label}"
        f"&threshold={zk.threshold}&epoch={zk.epoch}&leaves=epoch-leaves.json&recipient={recipient}"
    )
    page.goto(f"{gateway.url}/zk/prove.html?{query}")
    expect(page.locator("#gate-threshold")).to_have_text(str(zk.threshold))
    page.get_by_role("button", name="Sign and prove").click()
    expect(page.locator("#done")).to_be_visible(timeout=180_000)
    expect(page.locator("#status")).to_contain_text("Proof ready")
    shot(page, "zk-prove-done")
    bundle = json.loads(page.locator("#bundle").input_value())
    statement = Statement.from_signals(bundle["public"])
    assert statement.root == zk.tree.root
    assert statement.recipient_address == recipient.lower()

    receipt = pass_gate(
        zk.world.outsider.tx,
        zk.gate,
        bundle["epoch"],
        statement.root,
        statement.nullifier,
        recipient,
        gate_proof_args(bundle["proof"]),
    )
    (event,) = zk.world.events(receipt, "Passed", zk.gate)
    assert event["args"]["nullifier"] == statement.nullifier

    page.locator("#link").click()
    expect(page.locator("#verdict")).to_have_attribute("data-valid", "true", timeout=60_000)
    expect(page.locator("#verdict")).to_contain_text(f"at least {zk.threshold}")
    shot(page, "zk-check-valid")


def test_the_check_page_refuses_a_tampered_bundle(
    page: Page, gateway: LiveGateway, zk: ZkWorld
) -> None:
    page.goto(f"{gateway.url}/zk/check.html")
    page.locator("#bundle").fill(json.dumps({"public": ["1"], "proof": {}}))
    page.get_by_role("button", name="Check the proof").click()
    expect(page.locator("#verdict")).to_have_attribute("data-valid", "false", timeout=60_000)
