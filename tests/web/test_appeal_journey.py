"""Appeal -> decision in a real browser, in English and in Chinese: a resident appeals a confirmed
violation from the warning with a statement; the arbiter signs in, lands on the inbox, reads the
report, its confirmations and the statement, and overturns with reasoning; the resident then sees
"Overturned on appeal", the restored credit and the arbiter's reasoning."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import shot
from tests.web.server import LiveGateway
from tests.web.test_journey import _violation
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
APPEALED, OVERTURNED = 2, 4

TEXTS = {
    "en": {
        "statement": "I was at work in district 4 that morning; my badge log shows it.",
        "evidence": "Badge log: in 08:02, out 17:40. My supervisor can confirm it.",
        "reasoning": "The badge log places the resident in district 4 at the reported time.",
        "rule": "Littering in public space",
        "superior": "Superior × 1",
        "public": "Public panel × 1",
        "overturned": "Overturned on appeal",
        "restored": "restored",
    },
    "zh": {
        "statement": "那天上午我在第四区上班，门禁记录可以证明。",
        "evidence": "门禁记录：08:02 进，17:40 出。我的主管可以证明。",
        "reasoning": "门禁记录显示举报时该居民在第四区。",
        "rule": "在公共场所乱扔垃圾",
        "superior": "上级 × 1",
        "public": "公众评议 × 1",
        "overturned": "申诉成功，已撤销",
        "restored": "已恢复",
    },
}


def _open(open_wallet: OpenWallet, actor: object, lang: str) -> Page:
    """A browser with ``actor``'s wallet, in ``lang``, signed in (by the buttons' ids: the
    labels are in that language)."""
    page, _ = open_wallet(actor)
    page.select_option("#lang", lang)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
    page.locator("#connect").click()
    page.locator("#signin").click()
    expect(page.locator("#nav")).to_be_visible()
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_resident_appeals_and_the_arbiter_overturns_with_reasoning(
    gateway: LiveGateway, open_wallet: OpenWallet, lang: str
) -> None:
    w = gateway.world
    text = TEXTS[lang]
    ana = w.residents[0 if lang == "en" else 1]
    w.credit_one(ana, 1, 5)
    first = _violation(w, ana)
    _violation(w, ana)  # two confirmed violations: the repeated-violations warning
    before = w.credit(ana)
    deducted = int(w.ledger.functions.violation(bytes.fromhex(first[2:])).call()[1])
    assert deducted > 0

    # 1. the resident sees the warning and appeals the first violation with a statement
    page = _open(open_wallet, ana, lang)
    warning = page.locator('.notice[data-rule="repeated-violations"]')
    expect(warning).to_be_visible(timeout=60_000)
    shot(page, f"appeal-1-warning-{lang}")
    warning.locator(":scope > .actions button.primary").click()
    form = warning.locator("form.appeal-form")
    form.locator("select").select_option(first)
    form.locator("textarea").nth(0).fill(text["statement"])
    form.locator("textarea").nth(1).fill(text["evidence"])
    shot(page, f"appeal-2-form-{lang}", full_page=False)
    form.locator("button[type=submit]").click()
    expect(page.locator("#message.banner-success")).to_contain_text("0x", timeout=60_000)
    assert w.ledger.functions.violation(bytes.fromhex(first[2:])).call()[3] == APPEALED
    waiting = page.locator(f'#outcomes .outcome[data-record="{first}"]')
    expect(waiting).to_have_attribute("data-status", "appealed", timeout=60_000)
    shot(page, f"appeal-3-filed-{lang}")

    # 2. the arbiter signs in and lands on the inbox: report, confirmations, statement
    judge = _open(open_wallet, w.arbiter, lang)
    expect(judge.locator("#view-arbiter")).to_be_visible()
    expect(judge.locator('#nav button[data-view="confirm"]')).to_be_hidden()  # no confirm kind
    card = judge.locator(f'.appeal-card[data-record="{first}"]')
    expect(card).to_be_visible(timeout=60_000)
    expect(card).to_contain_text(text["rule"])
    expect(card).to_contain_text(text["superior"])
    expect(card).to_contain_text(text["public"])
    expect(card).to_contain_text(text["statement"])
    expect(card).to_contain_text(text["evidence"])
    shot(judge, f"appeal-4-inbox-{lang}")

    # 3. a decision needs reasoning; then overturn, signed in the wallet: the card leaves
    card.locator('button[data-decision="overturn"]').click()
    expect(card.locator(".progress")).not_to_be_empty()
    card.locator("textarea").fill(text["reasoning"])
    card.locator('button[data-decision="overturn"]').click()
    expect(judge.locator("#message.banner-success")).to_contain_text("0x", timeout=60_000)
    expect(card).to_have_count(0)
    assert w.ledger.functions.violation(bytes.fromhex(first[2:])).call()[3] == OVERTURNED
    shot(judge, f"appeal-5-decided-{lang}")

    # 4. the resident sees the outcome, the restored credit and the arbiter's reasoning
    page.locator('#nav button[data-view="home"]').click()
    outcome = page.locator(f'#outcomes .outcome[data-record="{first}"]')
    expect(outcome).to_have_attribute("data-status", "overturned", timeout=60_000)
    expect(outcome).to_contain_text(text["reasoning"])
    expect(outcome).to_contain_text(text["statement"])
    expect(page.locator("#credit-value")).to_have_text(str(before + deducted))
    row = page.locator(f'#records tr[data-record="{first}"]')
    expect(row).to_contain_text(text["overturned"])
    expect(row).to_contain_text(text["restored"])
    expect(row).not_to_contain_text("−")  # never shown as a deduction
    assert w.credit(ana) == before + deducted
    shot(page, f"appeal-6-outcome-{lang}")
