"""Debian's headless Chromium driven by Playwright, for the browser tests in tests/web and the
demo's own journey in tests/demo (a plugin of ``tests/conftest.py``: the ``browser`` fixture).

Skipped (with the reason) only when /usr/bin/chromium is missing: `make browser` installs it.
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.web.wallet import FakeWallet

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "web" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the Debian package."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium) as root")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wallet_page(browser: Browser, key: bytes, chain_id: int) -> Iterator[Page]:
    """A fresh desktop page whose injected wallet holds ``key``: a fixture's body (``yield from``).

    The page must run without an uncaught error and without a Content-Security-Policy refusal;
    that is asserted once the context is closed."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    FakeWallet(key, chain_id).install(context)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Refused" in m.text else None,
    )
    yield page
    context.close()
    assert problems == []


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under tests/web/artifacts/ (kept by CI as a test artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def qr_text(page: Page, selector: str) -> str:
    """Decode the QR code the page shows in ``selector`` (an <img>), as a phone would: its
    pixels as the browser drew them, read by zxing-cpp."""
    import zxingcpp

    image = page.evaluate(
        """(sel) => {
            const img = document.querySelector(sel);
            const c = document.createElement("canvas");
            c.width = img.naturalWidth * 2; c.height = img.naturalHeight * 2;
            const g = c.getContext("2d");
            g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
            g.imageSmoothingEnabled = false;
            g.drawImage(img, 0, 0, c.width, c.height);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            const grey = new Array(c.width * c.height);
            for (let i = 0; i < grey.length; i++) grey[i] = d[4 * i] < 128 ? 0 : 255;
            return { w: c.width, h: c.height, grey };
        }""",
        selector,
    )
    pixels = memoryview(bytes(image["grey"])).cast("B", shape=[image["h"], image["w"]])
    found = zxingcpp.read_barcodes(pixels)
    assert found, "no QR code could be read from the page"
    return str(found[0].text)
