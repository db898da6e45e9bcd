"""Claim -> rejection with a reason -> claim again -> credit, in real browsers (issue 15, loops 1
and 2): the resident's claims live on the server, so a second device sees them; a superior
rejects a claim with a reason; the resident sees why, and a notice citing its rule, and claims
again; a superior and a fellow resident confirm it and the resident sees the transaction."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from credit.notices.render import utc_date
from credit.store.relay_tables import relay_claims
from tests.web.conftest import PHONE, shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
NOTE = "The sign-in sheet shows one hour, not two."


def _claims_held(gateway: LiveGateway) -> int:
    with gateway.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(relay_claims)).scalar() or 0)


def _in_chinese(page: Page, name: str) -> None:
    page.select_option("#lang", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, f"{name}-zh")
    page.select_option("#lang", "en")


def _report(page: Page, amount: str, evidence: str) -> str:
    """Fill the claim form and press "Sign and submit" twice in a row; the record id shown."""
    page.get_by_role("button", name="Report an activity").click()
    page.get_by_label("Activity", exact=True).select_option("1")
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Evidence (optional)", exact=True).fill(evidence)
    page.get_by_role("button", name="Sign and submit").dblclick()  # an impatient double press
    expect(page.locator("#claim-received")).to_be_visible()
    return page.locator("#claim-record-id").inner_text()


def test_a_rejected_claim_is_explained_and_claimed_again(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana, neighbour_actor = w.residents[0], w.residents[1]

    # the resident claims two hours of volunteering from their phone; a double press sends one
    phone, phone_wallet = open_wallet(ana, viewport=PHONE)
    sign_in(phone)
    record = _report(phone, "2", "Park clean-up, sign-in sheet of the association")
    assert phone_wallet.methods().count("eth_signTypedData_v4") == 1
    assert _claims_held(gateway) == 1
    # the form is ready for another activity
    expect(phone.get_by_label("Amount", exact=True)).to_have_value("1")
    expect(phone.get_by_label("Evidence (optional)", exact=True)).to_have_value("")
    expect(phone.get_by_role("button", name="Sign and submit")).to_be_enabled()
    shot(phone, "claims-1-submitted-en")

    # ... and sees it on their PC: My claims come from the server
    pc, _ = open_wallet(ana)
    sign_in(pc)
    mine = pc.locator(f'#my-claims li[data-record="{record}"]')
    expect(mine).to_have_attribute("data-status", "waiting")
    expect(mine).to_contain_text("Waiting for confirmations")
    expect(mine).to_contain_text("Nobody has confirmed it yet")
    expect(mine).to_contain_text("Still needed: Superior (organiser or department) and Fellow")
    day = w.system.w3.eth.get_block("latest")["timestamp"]
    expect(mine).to_contain_text(f"done on {utc_date(day)}")
    shot(pc, "claims-2-other-device-en")

    # a superior rejects it from the queue, with a reason and a note
    boss, boss_wallet = open_wallet(w.superior)
    sign_in(boss)
    item = boss.locator(f'.queue-item[data-record="{record}"]')
    expect(item).to_contain_text("Volunteering")
    item.get_by_role("button", name="Reject").click()
    item.get_by_label("Why do you reject it?", exact=True).select_option("wrong_amount")
    item.get_by_label("Note for the resident (optional)", exact=True).fill(NOTE)
    shot(boss, "claims-3-reject-form-en")
    _in_chinese(boss, "claims-3-reject-form")
    item.get_by_role("button", name="Sign rejection").click()
    expect(boss.locator("#message")).to_contain_text("The claim was rejected")
    expect(item).to_have_count(0)
    typed = [c for c in boss_wallet.calls if c[0] == "eth_signTypedData_v4"]
    assert '"primaryType":"Rejection"' in typed[-1][1][1].replace(" ", "")
    shot(boss, "claims-4-rejected-queue-en")

    # the resident sees "rejected", the reason, the note, what to do next, and a notice
    expect(mine).to_have_attribute("data-status", "rejected", timeout=20_000)
    expect(mine).to_contain_text(f"Rejected on {utc_date(day)} by: Superior (organiser or")
    expect(mine).to_contain_text("Reason: the amount is wrong")
    expect(mine).to_contain_text(NOTE)
    expect(mine).to_contain_text("submit the claim again")
    notice = pc.locator('.notice[data-rule="claim-rejected"]')
    expect(notice).to_be_visible(timeout=20_000)
    expect(notice).to_contain_text("because the amount is wrong")
    expect(notice).to_contain_text("Rule claim-rejected, rule set version 1")
    shot(pc, "claims-5-rejected-en")
    pc.select_option("#lang", "zh")
    expect(mine).to_contain_text("理由：数量不对")
    expect(notice).to_contain_text("驳回")
    shot(pc, "claims-5-rejected-zh")
    pc.select_option("#lang", "en")

    # the resident claims again, with the right amount
    record2 = _report(pc, "1", "Park clean-up, sign-in sheet page 2 (one hour)")
    assert record2 != record
    again = pc.locator(f'#claim-result li[data-record="{record2}"]')
    expect(again).to_have_attribute("data-status", "waiting")
    shot(pc, "claims-6-claimed-again-en")

    # the superior confirms it, a fellow resident confirms it by its record id
    boss.get_by_role("button", name="Refresh").click()
    boss.locator(f'.queue-item[data-record="{record2}"]').get_by_role(
        "button", name="Confirm"
    ).click()
    expect(boss.locator("#message")).to_contain_text("your confirmation was accepted")
    neighbour, _ = open_wallet(neighbour_actor)
    sign_in(neighbour)
    neighbour.locator("#nav").get_by_role("button", name="Confirm").click()
    neighbour.get_by_label("Record id", exact=True).fill(record2)
    neighbour.get_by_role("button", name="Sign confirmation").click()
    expect(neighbour.locator("#message")).to_contain_text("your confirmation was accepted")

    # ... and the resident sees it credited, with its transaction, on the other device too
    expect(again).to_have_attribute("data-status", "credited", timeout=20_000)
    expect(again).to_contain_text("+10 points on your record")
    expect(again.locator("[data-tx] code")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    phone.locator("#nav").get_by_role("button", name="My credit").click()
    on_phone = phone.locator(f'#my-claims li[data-record="{record2}"]')
    expect(on_phone).to_have_attribute("data-status", "credited", timeout=20_000)
    expect(phone.locator(f'#my-claims li[data-record="{record}"]')).to_have_attribute(
        "data-status", "rejected"
    )
    pc.locator("#nav").get_by_role("button", name="My credit").click()
    shot(pc, "claims-7-credited-en")
    _in_chinese(pc, "claims-7-credited")
