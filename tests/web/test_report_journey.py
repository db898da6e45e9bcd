"""Report → warning in real browsers: an expert reports littering, a superior and the public panel
confirm it from their queues, and the resident then sees the warning with the rule's readable
text, in English and in Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import select

from credit.store.relay_tables import relay_claims
from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
LITTERING_EN = "Littering in public space"
LITTERING_ZH = "在公共场所乱扔垃圾"


def _both_languages(page: Page, name: str) -> None:
    shot(page, f"report-{name}-en")
    page.select_option("#lang", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, f"report-{name}-zh")
    page.select_option("#lang", "en")


def _confirm_from_queue(page: Page, record: str) -> None:
    expect(page.locator("#view-confirm")).to_be_visible()  # officials land on their queue
    item = page.locator(f'.queue-item[data-record="{record}"]')
    expect(item).to_have_attribute("data-kind", "report")
    expect(item).to_contain_text(f"Report of a concern: {LITTERING_EN}")
    expect(item.locator(".rule-text")).to_contain_text("Dropping or leaving litter")
    item.get_by_role("button", name="Confirm").click()
    expect(page.locator("#message")).to_contain_text("your confirmation was accepted")
    expect(item).to_have_count(0)


def test_expert_reports_evaluators_confirm_resident_is_warned(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana = w.residents[0]
    w.credit_one(ana, 1, 3)  # 30 points: the deduction shows
    before = w.credit(ana)

    # an expert reports littering they saw, with what happened
    expert, expert_wallet = open_wallet(w.expert)
    sign_in(expert)
    report_nav = expert.get_by_role("button", name="Report a concern")
    expect(report_nav).to_be_visible()  # shown to officials only
    report_nav.click()
    expect(expert.locator("#report-rule")).to_contain_text("Dropping or leaving litter")
    expert.get_by_label("Resident (address)", exact=True).fill(ana.address)
    expert.get_by_label("Rule broken", exact=True).select_option("100")
    expert.get_by_label("How many times", exact=True).fill("1")
    expert.get_by_label("What happened", exact=True).fill(
        "Left two bags of household waste beside the bench in Riverside Park at 9:40."
    )
    shot(expert, "report-form-en")
    expert.get_by_role("button", name="Sign and submit report").click()
    received = expert.locator("#report-received")
    expect(received).to_have_attribute("data-status", "waiting")
    record = received.get_attribute("data-record")
    assert record is not None and record.startswith("0x")
    expect(expert.locator("#report-waiting")).to_have_text(
        "Waiting for confirmation by: Superior (organiser or department) and Public panel member."
    )
    expect(expert.get_by_label("What happened", exact=True)).to_have_value("")  # form reset
    assert "eth_signTypedData_v4" in expert_wallet.methods()
    _both_languages(expert, "sent")

    # ... not in the reporter's own queue
    expert.get_by_role("button", name="Confirm").click()
    expect(expert.locator("#queue")).to_be_visible()
    expect(expert.locator(f'.queue-item[data-record="{record}"]')).to_have_count(0)

    # a superior, then the public panel, confirm it from their queues in their browsers
    boss, _ = open_wallet(w.superior)
    sign_in(boss)
    expect(boss.locator(f'.queue-item[data-record="{record}"]')).to_be_visible()
    _both_languages(boss, "superior-queue")
    _confirm_from_queue(boss, record)
    panel, _ = open_wallet(w.panel)
    sign_in(panel)
    expect(panel.locator(f'.queue-item[data-record="{record}"]')).to_be_visible()
    shot(panel, "report-panel-queue-en")
    _confirm_from_queue(panel, record)

    # booked on chain: the resident lost 20 points
    page, _ = open_wallet(ana)
    sign_in(page)
    expect(page.locator("#credit-value")).to_have_text(str(before - 20), timeout=30_000)
    warning = page.locator('.notice[data-rule="violation-recorded"]')
    expect(warning).to_be_visible(timeout=30_000)
    expect(warning.locator(".rule-title")).to_have_text(LITTERING_EN)
    expect(warning.locator(".rule-text")).to_contain_text("Dropping or leaving litter")
    expect(warning).to_contain_text("20 points were deducted")
    facts = warning.locator(".facts")
    expect(facts).to_contain_text("Version 1")
    expect(facts).to_contain_text("−20")
    expect(facts).to_contain_text(record[:10])  # the record
    with gateway.services.engine.connect() as conn:  # the evidence the expert signed
        signed = conn.execute(
            select(relay_claims.c.evidence).where(relay_claims.c.record_id == record)
        ).scalar_one()
    assert signed != "0x" + "00" * 32
    expect(facts.locator(".evidence-ref code")).to_have_attribute("title", signed)
    expect(facts).to_contain_text("Appeal deadline")
    tx = facts.locator("dd code").nth(2)
    expect(tx).to_have_attribute("title", re.compile(r"^0x[0-9a-f]{64}$"))
    expect(warning.get_by_role("button", name="Appeal")).to_be_visible()
    expect(warning.locator(".next")).to_contain_text("press Appeal")
    shot(page, "report-resident-warning-en")

    # ... and in Chinese: the rule's own Chinese text
    page.select_option("#lang", "zh")
    expect(warning.locator(".rule-title")).to_have_text(LITTERING_ZH)
    expect(warning.locator(".rule-text")).to_contain_text("公共场所")
    expect(warning.locator(".message")).to_contain_text("扣除20分")
    expect(facts).to_contain_text("第1版")
    expect(warning.get_by_role("button", name="申诉")).to_be_visible()
    shot(page, "report-resident-warning-zh")
    page.select_option("#lang", "en")
