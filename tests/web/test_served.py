"""The web client as the gateway serves it: files, headers, no internet, the API left alone;
and the small read the client needs to sign (GET /v1/residents/{address}/nonces)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from credit.gateway.webapp import WEB_DIR
from tests.support.auth_helpers import sign_in
from tests.support.world import PUBLIC, SUPERIOR
from tests.web.conftest import shot
from tests.web.conftest import sign_in as browser_sign_in
from tests.web.server import LiveGateway
from tests.web.wallet import FakeWallet

SVG_NS = "http://www.w3.org/2000/svg"
OpenWallet = Callable[..., tuple[Page, FakeWallet]]
FILES = sorted(p for p in WEB_DIR.rglob("*") if p.is_file())


@pytest.fixture
def http(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client


def test_the_page_and_its_modules_are_served_with_a_same_origin_policy(
    http: httpx.Client,
) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/app.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    module = http.get("/js/app.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    assert module.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(WEB_DIR)))
def test_no_file_refers_to_another_origin(path: object, http: httpx.Client) -> None:
    # the SVG namespace is a name, not a fetch
    text = path.read_text(encoding="utf-8").replace(SVG_NS, "")  # type: ignore[attr-defined]
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), path
    served = http.get("/" + str(path.relative_to(WEB_DIR)))  # type: ignore[attr-defined]
    assert served.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        pytest.param("GET", "/v1/nowhere", 404, "not_found", id="unknown-api-path"),
        pytest.param("GET", "/v1/auth/login", 405, "method_not_allowed", id="wrong-method"),
        pytest.param("GET", "/v1", 404, "not_found", id="api-root"),
        pytest.param("GET", "/nowhere.js", 404, "not_found", id="unknown-file"),
    ],
)
def test_the_api_keeps_its_error_envelope(
    http: httpx.Client, method: str, path: str, status: int, code: str
) -> None:
    r = http.request(method, path)
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert http.get("/metrics").status_code == 200


def test_nonces_are_the_residents_own_and_count_held_claims(
    http: httpx.Client, gateway: LiveGateway
) -> None:
    w = gateway.world
    me, other = w.residents[5], w.residents[4]
    url = f"/v1/residents/{me.address}/nonces"
    assert http.get(url).status_code == 401
    headers = sign_in(http, me.key)  # type: ignore[arg-type]
    out = http.get(url, headers=headers).json()
    assert out == {
        "resident": me.address.lower(),
        "claim_nonce": w.ledger.functions.claimNonce(me.address).call(),
        "account_nonce": w.ledger.functions.nonces(me.address).call(),
        "chain_time": w.now(),
    }
    refused = http.get(f"/v1/residents/{other.address}/nonces", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_both_languages_have_every_text() -> None:
    source = (WEB_DIR / "js" / "i18n.js").read_text(encoding="utf-8")
    en_block, zh_block = source.split("\n  zh: {", 1)
    key = re.compile(r'^\s+"([\w.]+)":', re.MULTILINE)
    en, zh = set(key.findall(en_block)), set(key.findall(zh_block))
    assert en == zh and len(en) > 150
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-aria-label)?="([\w.]+)"', page))
    code = "".join(p.read_text(encoding="utf-8") for p in (WEB_DIR / "js").rglob("*.js"))
    used |= set(re.findall(r'\bt\("([\w.]+)"', code))
    assert used - en == set()


def test_new_notices_arrive_by_the_stream_with_the_session_in_a_header(
    gateway: LiveGateway, open_wallet: OpenWallet
) -> None:
    """The page follows its notice stream with fetch(), the session in the Authorization header
    and never in the URL (URLs reach access logs); a notice due later arrives through it."""
    w = gateway.world
    resident = w.residents[3]
    page, _ = open_wallet(resident)
    streams: list[Request] = []
    page.on("request", lambda r: streams.append(r) if "/notices/stream" in r.url else None)
    browser_sign_in(page)
    body = page.locator("body")
    expect(body).to_have_attribute("data-notice-stream", "open")
    assert not body.get_attribute("data-notices-streamed")  # nothing due yet
    for _ in range(2):  # two confirmed violations: the repeated-violations warning is due
        signed, rid = w.report(w.expert, resident)
        ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
        w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    expect(body).to_have_attribute("data-notices-streamed", re.compile(r"^[1-9]"))
    expect(page.locator('.notice[data-rule="repeated-violations"]')).to_be_visible()
    shot(page, "notice-streamed-en", full_page=False)
    assert streams, "the page opened no notice stream"
    for request in streams:
        assert "token" not in request.url, request.url
        assert request.headers["authorization"].startswith("Bearer ")
