"""Informed confirmation in a real browser: a resident claims with evidence and shares the link
(copied, and as a QR code read back from the page); a peer opens the link before signing in,
sees the claim and its evidence, confirms; a superior reads the evidence from the queue and
confirms; the resident sees who looked at the evidence; the city's auditor reads the whole log."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from credit.artifacts import Artifact
from credit.ruleset import RuleSet
from tests.support.browser import qr_text
from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway, gateway_world
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
EVIDENCE = "Park clean-up on Saturday 9:00-12:00 with the residents' association; Mei saw me."


@pytest.fixture(scope="module")
def gateway(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """The city's gateway, with the outsider wallet named as its auditor."""
    live = LiveGateway(gateway_world(artifacts, ruleset), tmp_path_factory.mktemp("evidence-web"))
    auditor = live.world.outsider.address.lower()
    live.services.settings = live.settings.model_copy(update={"auditor_addresses": [auditor]})
    live.start()
    yield live
    live.stop()


def short(address: str) -> str:
    """As the web client shortens an address (format.js ``short(hex, 8)``)."""
    return f"{address[:8]}…{address[-4:]}"


def test_peer_and_superior_confirm_with_evidence_resident_and_auditor_see_the_log(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    w = gateway.world
    ana, mei = w.residents[0], w.residents[1]

    # 1. the resident claims three hours of volunteering with evidence, and gets a share link
    page, _ = open_wallet(ana)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway.url)
    sign_in(page)
    page.get_by_role("button", name="Report an activity").click()
    page.get_by_label("Activity", exact=True).select_option("1")
    page.get_by_label("Amount", exact=True).fill("3")
    page.get_by_label("Evidence (optional)", exact=True).fill(EVIDENCE)
    page.get_by_role("button", name="Sign and submit").click()
    record = page.locator("#claim-record-id").inner_text()
    link = f"{gateway.url}/#/confirm/{record}"
    expect(page.locator("#share-link")).to_have_value(link)
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#share-copied")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    expect(page.locator("#share-qr")).to_be_visible()
    assert qr_text(page, "#share-qr") == link
    page.locator("#claim-share").scroll_into_view_if_needed()
    shot(page, "evidence-1-share-en")
    page.select_option("#lang", "zh")
    expect(page.get_by_role("button", name="复制链接")).to_be_visible()
    shot(page, "evidence-1-share-zh")
    page.select_option("#lang", "en")

    # 2. a fellow resident opens the link before signing in, signs in and sees the claim
    peer_first, _ = open_wallet(mei)
    peer = peer_first.context.new_page()
    peer.goto(link)
    expect(peer.locator("body[data-ready=true]")).to_be_attached()
    peer_first.close()
    expect(peer.locator("#message")).to_contain_text("You opened a link to a claim")
    shot(peer, "evidence-2-peer-link-before-sign-in")
    sign_in(peer)
    panel = peer.locator("#claim-detail")
    expect(panel).to_be_visible()
    expect(peer.locator("#detail-activity")).to_have_text("Volunteering")
    expect(peer.locator("#detail-amount")).to_contain_text("3")
    expect(peer.locator("#detail-who")).to_have_text(short(ana.address))
    expect(peer.locator("#detail-date")).not_to_be_empty()
    expect(panel.get_by_text(EVIDENCE)).to_have_count(0)  # fetched only on demand
    peer.get_by_role("button", name="Show evidence").click()
    expect(panel.locator(".evidence-text")).to_have_text(EVIDENCE)
    shot(peer, "evidence-3-peer-sees-evidence-en")
    peer.select_option("#lang", "zh")
    expect(peer.locator("#detail-title")).to_have_text("待确认的申报")
    shot(peer, "evidence-3-peer-sees-evidence-zh")
    peer.select_option("#lang", "en")
    peer.get_by_role("button", name="Confirm this claim").click()
    expect(peer.locator("#message")).to_contain_text("your confirmation was accepted")
    expect(peer.locator("#detail-status")).to_have_text("Waiting for confirmations")
    shot(peer, "evidence-4-peer-confirmed")

    # 3. a superior opens the claim from the queue, reads the evidence, confirms
    boss, _ = open_wallet(w.superior)
    sign_in(boss)
    item = boss.locator(f'li.queue-item[data-record="{record}"]')
    item.get_by_role("button", name="Show details").click()
    expect(boss.locator("#detail-who")).to_have_text(short(ana.address))
    boss.get_by_role("button", name="Show evidence").click()
    expect(boss.locator("#claim-detail .evidence-text")).to_have_text(EVIDENCE)
    shot(boss, "evidence-5-superior-sees-evidence-en")
    boss.select_option("#lang", "zh")
    expect(boss.locator("#detail-evidence")).to_contain_text("您查看证据的记录已保存")
    shot(boss, "evidence-5-superior-sees-evidence-zh")
    boss.select_option("#lang", "en")
    boss.get_by_role("button", name="Confirm this claim").click()
    expect(boss.locator("#message")).to_contain_text("your confirmation was accepted")

    # 4. the resident sees who looked at the evidence, and in what capacity
    page.get_by_role("button", name="My credit").click()
    log = page.locator("#access-log-section")
    expect(log.get_by_role("heading", name="Who looked at your evidence")).to_be_visible()
    rows = log.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(short(w.superior.address))
    expect(rows.nth(0)).to_contain_text("Superior")
    expect(rows.nth(1)).to_contain_text(short(mei.address))
    expect(rows.nth(1)).to_contain_text("Fellow resident")
    expect(log).not_to_contain_text(EVIDENCE)
    log.scroll_into_view_if_needed()
    shot(page, "evidence-6-resident-sees-who-looked-en")
    page.select_option("#lang", "zh")
    expect(log.get_by_role("heading", name="谁查看了您的证据")).to_be_visible()
    shot(page, "evidence-6-resident-sees-who-looked-zh")
    page.select_option("#lang", "en")

    # 5. the auditor reads the whole access log
    auditor, _ = open_wallet(w.outsider)
    sign_in(auditor)
    audit = auditor.locator("#access-log-section")
    expect(audit.get_by_role("heading", name="Evidence access log (all residents)")).to_be_visible()
    expect(audit.locator("tbody tr")).to_have_count(2)
    expect(audit.locator("tbody tr").nth(0)).to_contain_text(short(ana.address))
    audit.scroll_into_view_if_needed()
    shot(auditor, "evidence-7-auditor-reads-the-log")

    # 6. the resident erases the evidence: the superior's page says so, the log stays
    erased = page.evaluate(
        """async (rid) => {
            const api = window.creditApp.api;
            const mine = await api.get(`/v1/claims/${rid}/evidence?purpose=review`);
            return (await api.request("DELETE", `/v1/evidence/${mine.evidence_id}`)).erased;
        }""",
        record,
    )
    assert erased is True
    boss.get_by_role("button", name="Close").click()
    expect(boss.locator("#claim-detail")).to_be_hidden()
    boss.evaluate("(link) => { window.location.hash = new URL(link).hash; }", link)
    expect(boss.locator("#detail-who")).to_have_text(short(ana.address))
    boss.get_by_role("button", name="Show evidence").click()
    expect(boss.locator("#detail-evidence")).to_have_text("The resident erased this evidence.")
    shot(boss, "evidence-8-erased-en")
    boss.select_option("#lang", "zh")
    expect(boss.locator("#detail-evidence")).to_have_text("申报人已删除此证据。")
    shot(boss, "evidence-8-erased-zh")
    auditor.get_by_role("button", name="My credit").click()
    expect(audit.locator("tbody tr")).to_have_count(3)  # the owner's own read, before erasing
    expect(audit.locator("tbody tr").nth(0)).to_contain_text("Owner")
