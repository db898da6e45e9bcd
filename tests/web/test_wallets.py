"""Wallet discovery (EIP-6963) in a real browser: wallets announce themselves; with several the
person picks one in a chooser, signs in with it, and the page remembers the choice. Without
announcements the page uses ``window.ethereum`` (every other web test signs in that way)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet, announce_late

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
SIGNING = {"eth_requestAccounts", "personal_sign"}


def test_two_wallets_announce_and_the_resident_picks_one(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana = w.residents[0]
    beta = FakeWallet(ana.key, chain_id=gateway.chain_id)
    # Alpha also took window.ethereum, as extensions do; Beta only announces itself
    page, alpha = open_wallet(w.superior, name="Alpha Wallet", others=[(beta, "Beta Wallet")])

    chooser = page.get_by_role("group", name="Choose the wallet to use")
    expect(chooser).to_be_visible()
    expect(chooser.get_by_role("radio")).to_have_count(2)
    expect(chooser.locator("img")).to_have_count(2)  # the icons they announced
    expect(page.get_by_role("button", name="Connect wallet")).to_be_disabled()
    expect(page.locator("#no-wallet")).to_be_hidden()
    shot(page, "wallets-1-chooser")

    chooser.get_by_label("Beta Wallet").check()
    sign_in(page)
    expect(page.locator("#who")).to_have_attribute("title", ana.address)
    assert set(beta.methods()) >= SIGNING
    assert not SIGNING & set(alpha.methods()), alpha.methods()
    shot(page, "wallets-2-signed-in-with-beta")

    # the choice is remembered: a reload resumes the session with Beta, without a signature
    page.reload()
    expect(page.locator("#nav")).to_be_visible()
    expect(page.locator("#who")).to_have_attribute("title", ana.address)
    assert beta.methods().count("personal_sign") == 1
    assert not SIGNING & set(alpha.methods())


def test_a_single_announced_wallet_needs_no_chooser_until_a_slow_one_arrives(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana = w.residents[1]
    slow = FakeWallet(w.superior.key, chain_id=gateway.chain_id, late=True)
    page, wallet = open_wallet(ana, name="Alpha Wallet", inject=False, others=[(slow, "Slow")])
    expect(page.locator("#wallet-chooser")).to_be_hidden()  # Alpha alone: it is used
    expect(page.get_by_role("button", name="Connect wallet")).to_be_enabled()
    # the slow extension announces itself later: the chooser appears, Alpha still chosen
    announce_late(page)
    chooser = page.get_by_role("group", name="Choose the wallet to use")
    expect(chooser.get_by_role("radio")).to_have_count(2)
    expect(chooser.get_by_label("Alpha Wallet")).to_be_checked()
    sign_in(page)
    expect(page.locator("#who")).to_have_attribute("title", ana.address)
    assert wallet.methods().count("personal_sign") == 1
    assert slow.methods() == []
