"""Journey on `credit demo` itself: a visitor passes the city library's gate ("credit ≥ 50",
scope label library-2027-Q1) from the browser, without saying who they are.

The demo is started as a visitor starts it (``python -m credit demo``, its own process and data
directory). As Ana (registered in the seed, credit 80 in the finalised period) the visitor proves
in the browser and passes the gate through the gateway; as Chen (registered, credit 30) the page
says the credit is below the gate's; as Bo (not registered) the visitor registers an identity,
relayed by the gateway.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from credit.demo_zk import LIBRARY_LABEL, LIBRARY_NAME, LIBRARY_THRESHOLD
from tests.demo.test_demo_serve import DEMO, _start, _wait_healthy
from tests.support.anvil import free_port
from tests.support.browser import qr_text, wallet_page
from tests.support.private_proofs import needs_prover
from tests.web.conftest import shot

pytestmark = needs_prover
PROOF_TIMEOUT = 240_000  # ms: proving is CPU-bound and this machine is shared


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``credit demo`` served on a free port: (its URL, its chain id)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path_factory.mktemp("zk-demo"), port)
    try:
        _wait_healthy(url, proc, seconds=300)
        chain_id = int(httpx.get(f"{url}/v1/config", timeout=10).json()["chain_id"])
        yield url, chain_id
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _page(browser: Browser, name: str, chain_id: int) -> Iterator[Page]:
    yield from wallet_page(browser, bytes(DEMO[name].key), chain_id)


@pytest.fixture
def ana(browser: Browser, demo: tuple[str, int]) -> Iterator[Page]:
    yield from _page(browser, "ana", demo[1])


@pytest.fixture
def chen(browser: Browser, demo: tuple[str, int]) -> Iterator[Page]:
    yield from _page(browser, "chen", demo[1])


@pytest.fixture
def bo(browser: Browser, demo: tuple[str, int]) -> Iterator[Page]:
    yield from _page(browser, "bo", demo[1])


def test_the_demo_offers_the_library_gate(demo: tuple[str, int]) -> None:
    overview = httpx.get(f"{demo[0]}/v1/zk", timeout=10).json()
    (gate,) = overview["gates"]
    assert (gate["name"], gate["label"], gate["threshold"]) == (
        LIBRARY_NAME,
        LIBRARY_LABEL,
        LIBRARY_THRESHOLD,
    )
    newest = overview["finalised_epochs"][0]["epoch"]
    leaves = httpx.get(f"{demo[0]}/v1/zk/epochs/{newest}/leaves", timeout=60).json()["leaves"]
    credits = sorted(int(leaf["credit"]) for leaf in leaves)
    assert len(credits) == 3 and sum(c >= LIBRARY_THRESHOLD for c in credits) == 2, credits


def test_a_visitor_passes_the_library_gate_as_ana(ana: Page, demo: tuple[str, int]) -> None:
    url, _ = demo
    ana.goto(f"{url}/zk/prove.html")
    expect(ana.locator("#gate")).to_have_value(
        httpx.get(f"{url}/v1/zk", timeout=10).json()["gates"][0]["address"]
    )
    expect(ana.locator("#gate-label")).to_have_text(LIBRARY_NAME)
    ana.get_by_role("button", name="Register my identity").click()
    expect(ana.locator("#identity-status")).to_have_text("Your identity is registered already.")
    recipient = "0x" + "5a" * 20  # a fresh address of Ana's: the pass does not name her
    ana.locator("#recipient").fill(recipient)
    started = time.monotonic()
    ana.get_by_role("button", name="Sign and prove").click()
    expect(ana.locator("#done")).to_be_visible(timeout=PROOF_TIMEOUT)
    print(f"demo: browser proof from the click {time.monotonic() - started:.1f} s")
    ana.get_by_role("button", name="Pass the gate now").click()
    expect(ana.locator("#pass-status")).to_have_attribute("data-passed", "true", timeout=60_000)
    expect(ana.locator("#pass-status")).to_contain_text(recipient)
    shot(ana, "zk-demo-library-passed")
    link = ana.locator("#link").get_attribute("href") or ""
    assert qr_text(ana, "#qr") == link
    ana.goto(link)
    expect(ana.locator("#verdict")).to_have_attribute("data-valid", "true", timeout=60_000)
    expect(ana.locator("dd[data-key=label]")).to_have_text(LIBRARY_LABEL)
    expect(ana.locator("dd[data-key=passed]")).to_contain_text("yes")
    shot(ana, "zk-demo-check")


def test_chen_is_below_the_gate(chen: Page, demo: tuple[str, int]) -> None:
    chen.goto(f"{demo[0]}/zk/prove.html")
    expect(chen.locator("#gate option")).to_have_count(1)
    chen.get_by_role("button", name="Sign and prove").click()
    expect(chen.locator("#status")).to_contain_text(f"below {LIBRARY_THRESHOLD}", timeout=60_000)
    expect(chen.locator("#done")).to_be_hidden()


def test_a_visitor_registers_bo_relayed(bo: Page, demo: tuple[str, int]) -> None:
    url, _ = demo
    bo.goto(f"{url}/zk/prove.html")
    expect(bo.locator("#gate option")).to_have_count(1)
    address = DEMO["bo"].address
    assert httpx.get(f"{url}/v1/zk/identities/{address}").json()["commitment"] is None
    bo.get_by_role("button", name="Register my identity").click()
    expect(bo.locator("#identity-status")).to_contain_text("Registered.", timeout=60_000)
    assert httpx.get(f"{url}/v1/zk/identities/{address}").json()["commitment"] is not None
    # not in the finalised period's tree: the page says why instead of failing to prove
    bo.get_by_role("button", name="Sign and prove").click()
    expect(bo.locator("#status")).to_contain_text("not in period", timeout=60_000)
    shot(bo, "zk-demo-registered")
