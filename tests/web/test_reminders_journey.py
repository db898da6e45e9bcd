"""Reminders for every role, in a real browser: a resident, a superior and an arbiter each sign
in and find their reminder, citing its rule and version, in English and Chinese.

What one party did is what the other sees: the resident's claim, held by the gateway until it is
confirmed, is the superior's reminder; a resident's appeal is the arbiter's. Focus lands on the
main content after signing in, records show the activity's date, and the rewards page says what
a violation does to a period's reward.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.relay_helpers import claim_body, confirm_body, statuses
from tests.support.world import PEER, PUBLIC, SUPERIOR, World, wait_until
from tests.web.conftest import shot, sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
DAY = 86400


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def _both_languages(page: Page, name: str) -> None:
    shot(page, f"{name}-en")
    page.select_option("#lang", "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shot(page, f"{name}-zh")
    page.select_option("#lang", "en")


def _post(gateway: LiveGateway, path: str, body: dict[str, Any]) -> None:
    r = httpx.post(f"{gateway.url}{path}", json=body, timeout=10)
    assert r.status_code == 202, r.text


def _appealed_violation(w: World, resident: Any) -> str:
    signed, rid = w.report(w.expert, resident)
    ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
    w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    resident.send(w.ledger.functions.fileAppeal(rid, b"\x22" * 32))
    return "0x" + rid.hex()


@pytest.fixture(scope="module")
def city(gateway: LiveGateway) -> dict[str, Any]:
    """Ana's activity of three days ago, credited through the relay; her next claim, held by the
    gateway waiting for a superior; Chen's appeal; two days later."""
    w = gateway.world
    ana, bo, chen = w.residents[0], w.residents[1], w.residents[2]
    occurred = w.now() - 3 * DAY
    body, credited = claim_body(w, ana, 1, 2, occurred_at=occurred, deadline=w.now() + 5 * DAY)
    _post(gateway, "/v1/claims", body)
    _post(gateway, "/v1/confirmations", confirm_body(w, w.superior, SUPERIOR, [credited]))
    _post(gateway, "/v1/confirmations", confirm_body(w, bo, PEER, [credited]))
    done = lambda: statuses(gateway.services).get(credited) == "credited"  # noqa: E731
    assert wait_until(done, 30), statuses(gateway.services)
    body, held = claim_body(w, ana, 2, 1, deadline=w.now() + 5 * DAY)  # needs a superior
    _post(gateway, "/v1/claims", body)
    appealed = _appealed_violation(w, chen)
    w.advance(2 * DAY)
    return {"credited": credited, "occurred": occurred, "held": held, "appealed": appealed}


def _focus_on_heading(page: Page, heading: str) -> None:
    """Keyboard focus is on the main content: the heading of the view shown after sign-in."""
    focused = page.evaluate(
        "() => [document.activeElement.id, document.activeElement.tagName,"
        " document.getElementById('main').contains(document.activeElement)]"
    )
    assert focused == [heading, "H1", True], focused


def test_a_resident_sees_what_their_waiting_claim_needs(
    gateway: LiveGateway, open_wallet: OpenWallet, city: dict[str, Any]
) -> None:
    page, _ = open_wallet(gateway.world.residents[0])
    sign_in(page)
    _focus_on_heading(page, "home-title")
    waiting = page.locator('.notice[data-rule="claim-waiting"]')
    expect(waiting).to_be_visible()
    expect(waiting).to_contain_text("Rule claim-waiting, rule set version 1")
    expect(waiting).to_contain_text("Still needed: a superior (organiser or department)")
    expect(waiting).to_contain_text("What to do next: ask the organiser or department")
    waiting.locator("summary").click()
    expect(waiting.locator(".evidence li")).to_contain_text("not on the ledger yet")
    # the record of three days ago shows the day of the activity, not of its block
    row = page.locator(f'#records tr[data-record="{city["credited"]}"]')
    expect(row.locator("td").first).to_have_text(_day(city["occurred"]))
    _both_languages(page, "reminders-resident")
    page.select_option("#lang", "zh")
    expect(waiting).to_contain_text("规则 claim-waiting")
    page.select_option("#lang", "en")

    # the rewards page says what a violation does to a period's reward
    page.get_by_role("button", name="Rewards").click()
    rule = page.locator("#reward-rule")
    expect(page.locator("#reward-rule-title")).to_have_text("Do violations reduce a reward?")
    expect(rule).to_contain_text("lowers your credit, not that reward")
    expect(rule).to_contain_text("your reward is paid on 40 points")
    _both_languages(page, "reminders-rewards")
    page.select_option("#lang", "zh")
    expect(rule).to_contain_text("不会减少该期奖励")
    page.select_option("#lang", "en")


def test_a_superior_is_reminded_of_the_claim_waiting_for_them(
    gateway: LiveGateway, open_wallet: OpenWallet, city: dict[str, Any]
) -> None:
    page, _ = open_wallet(gateway.world.superior)
    sign_in(page)
    expect(page.locator("#view-confirm")).to_be_visible()  # officials land on their queue
    _focus_on_heading(page, "confirm-title")
    panel = page.locator("#role-notices")
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Your reminders")
    reminder = panel.locator('.notice[data-rule="confirmations-requested"]')
    expect(reminder).to_contain_text("Rule confirmations-requested, rule set version 1")
    expect(reminder).to_contain_text("claim(s) are waiting for confirmations you are allowed")
    reminder.locator("summary").click()
    held = reminder.locator(".evidence li", has_text=city["held"][:10])
    expect(held).to_contain_text("held by Consensus Credit")
    # the panel sits at the top of the view, under its heading
    assert page.evaluate(
        "() => document.getElementById('confirm-title').nextElementSibling.id"
    ) == ("role-notices")
    _both_languages(page, "reminders-superior")
    page.select_option("#lang", "zh")
    expect(panel.locator("h2")).to_have_text("您的提醒")
    page.select_option("#lang", "en")


def test_the_arbiter_is_reminded_of_the_appeal_waiting(
    gateway: LiveGateway, open_wallet: OpenWallet, city: dict[str, Any]
) -> None:
    page, _ = open_wallet(gateway.world.arbiter)
    sign_in(page)
    heading = page.evaluate("() => document.activeElement.id")
    _focus_on_heading(page, heading)
    reminder = page.locator('.notice[data-rule="appeals-waiting"]:visible')
    expect(reminder).to_have_count(1)
    expect(reminder).to_contain_text("Rule appeals-waiting, rule set version 1")
    expect(reminder).to_contain_text("1 appeal(s) are waiting for a decision")
    reminder.locator("summary").click()
    expect(reminder.locator(".evidence li")).to_contain_text(city["appealed"][:10])
    _both_languages(page, "reminders-arbiter")
    page.select_option("#lang", "zh")
    expect(reminder).to_contain_text("有1项申诉正在等待裁决")
    page.select_option("#lang", "en")
