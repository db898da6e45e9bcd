"""Browser fixtures: the live gateway and wallets, over the ``browser`` fixture (Debian's headless
Chromium driven by Playwright, :mod:`tests.support.browser`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from credit.artifacts import Artifact
from credit.ruleset import RuleSet
from tests.support.browser import ARTIFACTS as ARTIFACTS
from tests.support.browser import CHROMIUM_ARGS as CHROMIUM_ARGS
from tests.support.browser import DESKTOP as DESKTOP
from tests.support.browser import PHONE as PHONE
from tests.support.browser import shot as shot
from tests.support.world import Actor
from tests.web.server import LiveGateway, gateway_world
from tests.web.wallet import FakeWallet


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
        viewport: ViewportSize | None = None,
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


def sign_in(page: Page) -> None:
    """Connect the wallet and sign in; waits for the signed-in navigation."""
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#nav")).to_be_visible()
