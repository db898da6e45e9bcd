"""The whole journey in a real browser: a resident claims, two evaluators confirm in their own
browsers, the resident sees the credit, a reminder and a warning, and appeals the warning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.support.world import EPOCH, PUBLIC, SUPERIOR, World
from tests.web.conftest import PHONE, shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
DAY = 86400
RECORDED, APPEALED = 1, 2


def _violation(w: World, resident: Any) -> str:
    """A littering report by the expert, confirmed by a superior and the public panel."""
    signed, rid = w.report(w.expert, resident)
    ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
    w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    return "0x" + rid.hex()


def _history(w: World, resident: Any) -> None:
    """Two earlier periods of volunteering, the first one's reward paid: a chart with a shape."""
    w.credit_one(resident, 1, 2)
    first = w.epoch()
    w.advance(EPOCH)
    w.credit_one(resident, 2, 2)
    w.advance(EPOCH)
    w.minter.send(w.ledger.functions.mintRewards(first, [resident.address]))


def _both_languages(page: Page, name: str, *, full_page: bool = True) -> None:
    shot(page, f"{name}-en", full_page=full_page)
    page.select_option("#lang", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, f"{name}-zh", full_page=full_page)
    page.select_option("#lang", "en")


def test_resident_claims_evaluators_confirm_resident_appeals(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana, peer = w.residents[0], w.residents[1]
    _history(w, ana)
    before = w.credit(ana)

    # the resident signs in and sees their credit
    page, ana_wallet = open_wallet(ana)
    shot(page, "welcome-en")
    sign_in(page)
    assert ana_wallet.methods()[:3] == ["eth_accounts", "eth_requestAccounts", "eth_chainId"]
    expect(page.locator("#credit-value")).to_have_text(str(before))
    expect(page.locator("#credit-chart circle")).to_have_count(2)

    # ... and reports three hours of volunteering, with evidence
    page.get_by_role("button", name="Report an activity").click()
    page.get_by_label("Activity", exact=True).select_option("1")
    page.get_by_label("Amount", exact=True).fill("3")
    page.get_by_label("Evidence (optional)", exact=True).fill(
        "Park clean-up with the residents' association"
    )
    page.get_by_role("button", name="Sign and submit").click()
    record = page.locator("#claim-record-id").inner_text()
    waiting = page.locator(f'#claim-result li[data-record="{record}"]')
    expect(waiting).to_have_attribute("data-status", "waiting")
    assert "eth_signTypedData_v4" in ana_wallet.methods()
    _both_languages(page, "claim-waiting")

    # a superior confirms it from the queue, in their own browser
    boss, _ = open_wallet(w.superior)
    sign_in(boss)
    expect(boss.locator("#view-confirm")).to_be_visible()  # officials land on their queue
    item = boss.locator(f'.queue-item[data-record="{record}"]')
    expect(item).to_contain_text("Volunteering")
    _both_languages(boss, "confirm-queue")
    item.get_by_role("button", name="Confirm").click()
    expect(boss.locator("#message")).to_contain_text("your confirmation was accepted")
    expect(item).to_have_count(0)

    # a fellow resident confirms it by its record id
    neighbour, _ = open_wallet(peer)
    sign_in(neighbour)
    neighbour.get_by_role("button", name="Confirm").click()
    expect(neighbour.get_by_label("Confirm as", exact=True)).to_have_value("1")
    neighbour.get_by_label("Record id", exact=True).fill(record)
    neighbour.get_by_role("button", name="Sign confirmation").click()
    expect(neighbour.locator("#message")).to_contain_text("your confirmation was accepted")

    # the claim turns into credit on the resident's screen
    expect(waiting).to_have_attribute("data-status", "credited", timeout=20_000)
    page.get_by_role("button", name="My credit").click()
    expect(page.locator("#credit-value")).to_have_text(str(before + 30))
    expect(page.locator(f'#records tr[data-record="{record}"]')).to_contain_text("v1")

    # two confirmed violations, and eleven days later: a warning and a reminder
    first = _violation(w, ana)
    _violation(w, ana)
    w.advance(11 * DAY + 3600)
    page.get_by_role("button", name="My credit").click()
    warning = page.locator('.notice[data-rule="repeated-violations"]')
    reminder = page.locator('.notice[data-rule="appeal-deadline"]').first
    expect(warning).to_be_visible()
    expect(reminder).to_be_visible()
    expect(warning).to_contain_text("rule set version 1")
    warning.locator("summary").click()
    expect(warning.locator(".evidence li").first).to_contain_text("transaction 0x")
    _both_languages(page, "home")

    # the resident appeals the first violation from the warning
    warning.get_by_role("button", name="Appeal").click()
    warning.get_by_label("Record to appeal", exact=True).select_option(first)
    warning.get_by_label("Why is this record wrong?", exact=True).fill("I was at work that day.")
    shot(page, "appeal-form-en", full_page=False)
    warning.get_by_role("button", name="Sign and file appeal").click()
    expect(page.locator("#message")).to_contain_text("Your appeal was filed")
    assert w.ledger.functions.violation(bytes.fromhex(first[2:])).call()[3] == APPEALED
    expect(page.locator(f'#records tr[data-record="{first}"]')).to_contain_text("Under appeal")

    # rewards: the paid period and the balance
    page.get_by_role("button", name="Rewards").click()
    expect(page.locator("#reward-balance")).not_to_have_text("–")
    expect(page.locator("#reward-epochs tbody tr")).to_have_count(3)
    _both_languages(page, "rewards")

    # the same home on a phone screen
    phone, _ = open_wallet(ana, viewport=PHONE)
    sign_in(phone)
    expect(phone.locator('.notice[data-rule="appeal-deadline"]')).to_have_count(1)  # one left
    _both_languages(phone, "home-phone", full_page=False)
