"""What can go wrong around the page: a declined signature, the wrong chain, another account,
no wallet at all, and the gateway going away and coming back."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet, emit

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
MAINNET = 1


def test_a_declined_signature_gets_a_calm_message_and_a_second_chance(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    page, wallet = open_wallet(gateway.world.residents[2], reject={"personal_sign"})
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_role("button", name="Sign in").click()
    message = page.locator("#message")
    expect(message).to_contain_text("You declined the request in your wallet")
    expect(message).to_have_class("banner banner-info")  # information, not an error
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    shot(page, "declined-en", full_page=False)
    page.select_option("#lang", "zh")
    expect(message).to_contain_text("您在钱包中拒绝了此请求")
    shot(page, "declined-zh", full_page=False)
    page.select_option("#lang", "en")
    wallet.reject.clear()
    sign_in(page)
    # declining the claim's typed-data signature is just as calm, and nothing is sent
    wallet.reject.add("eth_signTypedData_v4")
    page.get_by_role("button", name="Report an activity").click()
    page.get_by_role("button", name="Sign and submit").click()
    expect(message).to_contain_text("Nothing was signed or sent")
    expect(page.locator("#claim-result")).to_be_empty()
    expect(page.get_by_role("button", name="Sign and submit")).to_be_enabled()


def test_the_wrong_chain_is_switched_and_added_when_unknown(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    page, wallet = open_wallet(gateway.world.residents[3], chain_id=MAINNET)
    page.get_by_role("button", name="Connect wallet").click()
    banner = page.locator("#wrongchain")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Press “Switch network” to move it to Consensus Credit")
    expect(banner).not_to_contain_text(str(gateway.chain_id))  # plain words: no raw chain id
    expect(page.get_by_role("button", name="Sign in")).to_be_disabled()
    shot(page, "wrong-chain-en", full_page=False)
    page.get_by_role("button", name="Switch network").click()
    expect(banner).to_be_hidden()
    methods = wallet.methods()
    switch = methods.index("wallet_switchEthereumChain")
    assert methods[switch + 1] == "wallet_addEthereumChain"  # unknown chain (4902): added
    # with the gateway's own read-only window, which the wallet checked answers this chain id
    assert wallet.added[gateway.chain_id]["rpcUrls"] == [f"{gateway.url}/rpc"]
    assert wallet.chain_id == gateway.chain_id
    shot(page, "network-added-en", full_page=False)
    sign_in(page)
    # the wallet moving away again brings the banner back; signing is refused meanwhile
    wallet.chain_id = MAINNET
    emit(page, "chainChanged", hex(MAINNET))
    expect(banner).to_be_visible()
    wallet.chain_id = gateway.chain_id
    page.get_by_role("button", name="Switch network").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#message")).to_contain_text("now on the ledger's network")


def test_another_account_in_the_wallet_signs_the_page_out(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    page, _ = open_wallet(gateway.world.residents[4])
    sign_in(page)
    emit(page, "accountsChanged", [gateway.world.residents[5].address.lower()])
    expect(page.locator("#message")).to_contain_text("switched to another account")
    expect(page.locator("#nav")).to_be_hidden()
    expect(page.get_by_role("button", name="Connect wallet")).to_be_visible()


def test_without_a_wallet_the_page_says_what_to_do(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    page, _ = open_wallet(None)
    expect(page.locator("#no-wallet")).to_be_visible()
    expect(page.get_by_role("button", name="Connect wallet")).to_be_disabled()


def test_the_gateway_going_away_shows_a_banner_until_it_is_back(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    page, _ = open_wallet(gateway.world.residents[2])
    sign_in(page)
    offline = page.locator("#offline")
    expect(offline).to_be_hidden()
    gateway.stop_http()
    try:
        page.get_by_role("button", name="Rewards").click()
        expect(offline).to_be_visible()
        expect(offline).to_contain_text("Consensus Credit cannot be reached")
        shot(page, "offline-en", full_page=False)
        page.select_option("#lang", "zh")
        expect(offline).to_contain_text("暂时无法连接共识信用服务")
        shot(page, "offline-zh", full_page=False)
        page.select_option("#lang", "en")
    finally:
        gateway.start()
    expect(offline).to_be_hidden(timeout=10_000)
    expect(page.locator("#reward-balance")).to_have_text("0")  # the view loads once it is back
