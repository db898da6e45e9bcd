"""Accessibility checks in the real browser: keyboard-only sign-in, a label for every control,
WCAG AA text contrast, and no horizontal scrolling on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PHONE
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]
VIEWS = ["My credit", "Report an activity", "Confirm", "Rewards"]

UNLABELLED_JS = """
() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))
"""

# WCAG 2.1 relative luminance and contrast of each visible text element against the first
# opaque background behind it.
LOW_CONTRAST_JS = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.offsetParent === null || el.closest("svg")) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.disabled || el.closest("[disabled]")) continue;
    const style = getComputedStyle(el);
    if (Number(style.opacity) < 1) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const what = `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`;
    if (ratio < 4.5) out.push(`${ratio.toFixed(2)} ${what}`);
  }
  return out;
}
"""


def _keyboard_to(page: Page, element_id: str) -> None:
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_keyboard_labels_and_contrast(
    gateway: LiveGateway, open_wallet: OpenWallet, lang: str
) -> None:
    page, _ = open_wallet(gateway.world.residents[0])
    page.select_option("#lang", lang)
    _keyboard_to(page, "connect")
    page.keyboard.press("Enter")
    expect(page.locator("#signin")).to_be_focused()  # the next step takes the focus
    page.keyboard.press("Enter")
    expect(page.locator("#nav")).to_be_visible()
    page.select_option("#lang", "en")
    for view in VIEWS:
        page.get_by_role("button", name=view, exact=True).click()
        page.select_option("#lang", lang)
        assert page.evaluate(UNLABELLED_JS) == [], view
        assert page.evaluate(LOW_CONTRAST_JS) == [], view
        page.select_option("#lang", "en")


def test_nothing_scrolls_sideways_on_a_phone(gateway: LiveGateway, open_wallet: OpenWallet) -> None:
    page, _ = open_wallet(gateway.world.residents[1], viewport=PHONE)
    page.get_by_role("button", name="Connect wallet").click()
    page.get_by_role("button", name="Sign in").click()
    for view in VIEWS:
        page.get_by_role("button", name=view, exact=True).click()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], view
