"""Browser fixtures: Debian's headless Chromium driven by Playwright, the live gateway, wallets.

Skipped (with the reason) only when /usr/bin/chromium is missing: `make browser` installs it.
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from credit.artifacts import Artifact
from credit.ruleset import RuleSet
from tests.support.world import Actor
from tests.web.server import LiveGateway, gateway_world
from tests.web.wallet import FakeWallet

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the Debian package."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium) as root")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def gateway(
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveGateway]:
    """A fresh city and its gateway for the module, stopped at the end."""
    live = LiveGateway(gateway_world(artifacts, ruleset), tmp_path_factory.mktemp("web-gateway"))
    live.start()
    yield live
    live.stop()


@pytest.fixture
def open_wallet(
    browser: Browser, gateway: LiveGateway
) -> Iterator[Callable[..., tuple[Page, FakeWallet]]]:
    """``open_wallet(actor, **wallet_options)``: a new browser context with the actor's wallet.

    With ``name``, the actor's wallet also announces itself through EIP-6963 under that name
    (and with ``inject=False`` only so); ``others`` are more wallets, ``(wallet, name)``, that
    only announce themselves.

    Every page must run without an uncaught error and without a Content-Security-Policy refusal.
    """
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console: {msg.text}")
                if msg.type == "error" and "Refused to" in msg.text
                else None
            ),
        )

    def open_(
        actor: Actor | None,
        *,
        viewport: dict[str, int] | None = None,
        name: str | None = None,
        inject: bool = True,
        others: Sequence[tuple[FakeWallet, str]] = (),
        **options: Any,
    ) -> tuple[Page, FakeWallet]:
        context = browser.new_context(viewport=viewport or DESKTOP, locale="en-GB")
        contexts.append(context)
        wallet = FakeWallet(
            actor.key if actor else b"\x01" * 32, **{"chain_id": gateway.chain_id, **options}
        )
        if actor is not None:
            wallet.install(context, name=name, inject=inject)
        for other, other_name in others:
            other.install(context, name=other_name, colour="#b45309", inject=False)
        page = context.new_page()
        watch(page)
        page.goto(gateway.url)
        expect(page.locator("body[data-ready=true]")).to_be_attached()
        return page, wallet

    yield open_
    for context in contexts:
        context.close()
    assert problems == []


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under tests/web/artifacts/ (kept by CI as a test artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page) -> None:
    """Connect the wallet and sign in; waits for the signed-in navigation."""
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#nav")).to_be_visible()
