"""Journey on `credit demo` itself: a visitor passes the city library's gate ("credit ≥ 50",
scope label library-2027-Q1) from the browser, without saying who they are.

On the package's served demo (started as a visitor starts it, ``python -m credit demo``, its own
process and data directory). As Ana (registered in the seed, credit 80 in the finalised period)
the visitor proves in the browser and passes the gate through the gateway; as Chen (registered,
credit 30) the page says the credit is below the gate's; as Bo (not registered) the visitor
registers an identity, relayed by the gateway. Last in the package: they only add to the city.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from credit.demo_zk import LIBRARY_LABEL, LIBRARY_NAME, LIBRARY_THRESHOLD
from tests.support.browser import shot, wallet_page
from tests.support.demo_server import DEMO, Demo
from tests.support.private_proofs import (
    needs_prover,
    open_the_link,
    pass_the_gate,
    prove_in_page,
    register_identity,
)

pytestmark = needs_prover


@pytest.fixture
def ana(browser: Browser, demo: Demo) -> Iterator[Page]:
    yield from wallet_page(browser, bytes(DEMO["ana"].key), demo.chain_id)


@pytest.fixture
def chen(browser: Browser, demo: Demo) -> Iterator[Page]:
    yield from wallet_page(browser, bytes(DEMO["chen"].key), demo.chain_id)


@pytest.fixture
def bo(browser: Browser, demo: Demo) -> Iterator[Page]:
    yield from wallet_page(browser, bytes(DEMO["bo"].key), demo.chain_id)


def test_the_demo_offers_the_library_gate(demo: Demo) -> None:
    overview = httpx.get(f"{demo.url}/v1/zk", timeout=10).json()
    (gate,) = overview["gates"]
    assert (gate["name"], gate["label"], gate["threshold"]) == (
        LIBRARY_NAME,
        LIBRARY_LABEL,
        LIBRARY_THRESHOLD,
    )
    newest = overview["finalised_epochs"][0]["epoch"]
    leaves = httpx.get(f"{demo.url}/v1/zk/epochs/{newest}/leaves", timeout=60).json()["leaves"]
    credits = sorted(int(leaf["credit"]) for leaf in leaves)
    assert len(credits) == 3 and sum(c >= LIBRARY_THRESHOLD for c in credits) == 2, credits


def test_a_visitor_passes_the_library_gate_as_ana(ana: Page, demo: Demo) -> None:
    url = demo.url
    ana.goto(f"{url}/zk/prove.html")
    expect(ana.locator("#gate")).to_have_value(
        httpx.get(f"{url}/v1/zk", timeout=10).json()["gates"][0]["address"]
    )
    expect(ana.locator("#gate-label")).to_have_text(LIBRARY_NAME)
    ana.get_by_role("button", name="Register my identity").click()
    expect(ana.locator("#identity-status")).to_have_text("Your identity is registered already.")
    recipient = "0x" + "5a" * 20  # a fresh address of Ana's: the pass does not name her
    print(f"demo: browser proof from the click {prove_in_page(ana, recipient):.1f} s")
    pass_the_gate(ana)
    expect(ana.locator("#pass-status")).to_contain_text(recipient)
    shot(ana, "zk-demo-library-passed")
    open_the_link(ana)
    expect(ana.locator("dd[data-key=label]")).to_have_text(LIBRARY_LABEL)
    expect(ana.locator("dd[data-key=passed]")).to_contain_text("yes")
    shot(ana, "zk-demo-check")


def test_chen_is_below_the_gate(chen: Page, demo: Demo) -> None:
    chen.goto(f"{demo.url}/zk/prove.html")
    expect(chen.locator("#gate option")).to_have_count(1)
    chen.get_by_role("button", name="Sign and prove").click()
    expect(chen.locator("#status")).to_contain_text(f"below {LIBRARY_THRESHOLD}", timeout=60_000)
    expect(chen.locator("#done")).to_be_hidden()


def test_a_visitor_registers_bo_relayed(bo: Page, demo: Demo) -> None:
    url = demo.url
    bo.goto(f"{url}/zk/prove.html")
    expect(bo.locator("#gate option")).to_have_count(1)
    address = DEMO["bo"].address
    assert httpx.get(f"{url}/v1/zk/identities/{address}").json()["commitment"] is None
    register_identity(bo)
    assert httpx.get(f"{url}/v1/zk/identities/{address}").json()["commitment"] is not None
    # not in the finalised period's tree: the page says why instead of failing to prove
    bo.get_by_role("button", name="Sign and prove").click()
    expect(bo.locator("#status")).to_contain_text("not in period", timeout=60_000)
    shot(bo, "zk-demo-registered")
