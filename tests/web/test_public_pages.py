"""Public pages in a real browser. A visitor with no wallet opens a shared record link, follows its
rule version to the rule-set page (the document fetched from the URI on chain, hashed in the
browser: "matches"), then the period and an address; a resident signed in follows a record link
from their own records. A tampered rule document (bytes changed on the way) says "does NOT
match". Screenshots (English and Chinese) go to tests/web/artifacts/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Route, expect

from credit.artifacts import Artifact
from credit.rule_documents import archive, document_uri
from credit.ruleset import RuleSet
from tests.support.ledger_flows import appeal, publish, relay_violation, resolve, variant
from tests.support.world import EPOCH, NOTICE, World, wait_until
from tests.web.conftest import PHONE, shot
from tests.web.server import LiveGateway, gateway_world
from tests.web.test_accessibility import LOW_CONTRAST_JS, UNLABELLED_JS
from tests.web.wallet import FakeWallet

OpenWallet = Callable[..., tuple[Page, FakeWallet]]


@dataclass
class City:
    live: LiveGateway
    credited: str  # a credited record of resident0, under rule set v2
    violation: str  # a violation of resident0, appealed and overturned
    epoch: int


@pytest.fixture(scope="module")
def city(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[City]:
    """v2 published with its URI at this gateway and in force; a credited record, an overturned
    violation and a paid reward for resident0."""
    world: World = gateway_world(artifacts, ruleset)
    live = LiveGateway(world, tmp_path_factory.mktemp("public-pages"))
    v2 = variant(ruleset, label="City rules 2026.4", categories={1: {"points_per_unit": 12}})
    archive(v2, live.settings.rule_documents())
    publish(world, v2, document_uri(live.url, 2))
    world.advance(NOTICE + 1)
    resident = world.residents[0]
    epoch = world.epoch()
    _, credited = world.credit_one(resident, 1, 2)
    _, violation = relay_violation(world, resident)
    appeal(world, resident, violation)
    resolve(world, violation, True)
    world.advance(EPOCH + 1)
    world.minter.send(world.ledger.functions.mintRewards(epoch, [resident.address]))
    live.start()
    rid = "0x" + credited.hex()
    assert wait_until(lambda: live.services.indexer.position()[0] >= world.w3.eth.block_number)
    yield City(live, rid, "0x" + violation.hex(), epoch)
    live.stop()


@pytest.fixture(scope="module")
def gateway(city: City) -> LiveGateway:
    """The browser fixtures' gateway: this module's city."""
    return city.live


def test_a_visitor_follows_links_and_a_resident_reaches_the_record_page(
    city: City, open_wallet: OpenWallet
) -> None:
    world, resident = city.live.world, city.live.world.residents[0]
    page, _ = open_wallet(None)  # a visitor: no wallet at all
    page.goto(f"{city.live.url}/#/record/{city.credited}")
    record = page.locator(f"section.public-page[data-record='{city.credited}']")
    expect(record.locator("h1")).to_have_text("Credit record")
    expect(record).to_contain_text("+24")
    expect(record.locator(".confirmers li[data-kind=superior]")).to_contain_text(
        world.superior.address
    )
    expect(record.locator(".confirmers li[data-kind=peer]")).to_have_count(1)
    expect(page.locator("#view-welcome")).to_be_hidden()
    assert page.evaluate(UNLABELLED_JS) == [] and page.evaluate(LOW_CONTRAST_JS) == []
    shot(page, "public-record-en")
    page.select_option("#lang", "zh")
    expect(record.locator("h1")).to_have_text("信用记录")
    shot(page, "public-record-zh")
    page.select_option("#lang", "en")

    record.get_by_role("link", name="Version 2").click()
    check = page.locator("#hash-check")
    expect(check).to_contain_text("matches the fingerprint")
    expect(check).to_have_attribute("data-matches", "true")
    rules = page.locator("section.public-page[data-version='2']")
    expect(rules).to_contain_text(f"{city.live.url}/v1/public/rule-sets/2/document")
    expect(rules.locator(".rule-changes li[data-scope=category]")).to_contain_text(
        "Points per unit: 10 → 12"
    )
    expect(rules.locator(".rule-category[data-category='100']")).to_contain_text("Littering")
    shot(page, "public-rules-en")

    page.go_back()
    record.get_by_role("link", name=f"Period {city.epoch}").click()
    period = page.locator(f"section.public-page[data-epoch='{city.epoch}']")
    expect(period.locator("#no-verification")).to_have_text("This ledger has no verification yet.")
    expect(period.locator(f"tr[data-record='{city.credited}']")).to_be_visible()
    expect(period.locator(f"tr[data-record='{city.violation}']")).to_contain_text("Overturned")
    expect(period).to_contain_text("CCR")
    shot(page, "public-epoch-en")

    period.locator(f"tr[data-record='{city.violation}'] a[data-page=address]").click()
    who = page.locator(f"section.public-page[data-address='{resident.address}']")
    expect(who.locator("tr[data-record]")).to_have_count(2)
    who.locator(f"tr[data-record='{city.violation}'] a[data-page=record]").click()
    appealed = page.locator(".appeal-facts[data-status=overturned]")
    expect(appealed).to_contain_text(world.arbiter.address)
    shot(page, "public-violation-en")

    # on a phone nothing scrolls sideways, long hashes and tables included
    phone, _ = open_wallet(None, viewport=PHONE)
    for route, ready in (
        (f"record/{city.credited}", ".confirmers"),
        (f"epoch/{city.epoch}", "#no-verification"),
        ("rules/2", "#hash-check"),
    ):
        phone.goto(f"{city.live.url}/#/{route}")
        expect(phone.locator(ready)).to_be_visible()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "public-rules-phone-en")

    # a resident, signed in, follows a record link from their own records
    mine, _ = open_wallet(resident)
    mine.locator("#connect").click()
    mine.locator("#signin").click()
    row = mine.locator(f"#records tr[data-record='{city.credited}']")
    expect(row.locator("[data-confirmers]")).to_have_text(
        "Superior (organiser or department) and Fellow resident"
    )
    shot(mine, "public-links-on-home-en")
    row.locator("a[data-page=record]").click()
    expect(mine.locator(f"section.public-page[data-record='{city.credited}']")).to_be_visible()
    expect(mine.locator("#nav")).to_be_visible()
    shot(mine, "public-record-from-home-en")
    mine.locator('#nav [data-view="home"]').click()
    expect(mine.locator("#view-home")).to_be_visible()
    expect(mine.locator("#view-public")).to_be_hidden()


def test_a_tampered_rule_document_does_not_match(city: City, open_wallet: OpenWallet) -> None:
    page, _ = open_wallet(None)

    def tamper(route: Route) -> None:
        body = route.fetch().body().replace(b'"points_per_unit":12', b'"points_per_unit":99')
        route.fulfill(status=200, body=body, content_type="application/json")

    page.route("**/v1/public/rule-sets/2/document", tamper)
    page.goto(f"{city.live.url}/#/rules/2")
    check = page.locator("#hash-check")
    expect(check).to_contain_text("does NOT match")
    expect(check).to_have_attribute("data-matches", "false")
    expect(page.locator(".rule-category[data-category='1']")).to_be_hidden()  # folded away
    shot(page, "public-rules-tampered-en")


def test_the_period_page_shows_the_verifiers_and_their_agreement(
    city: City, open_wallet: OpenWallet
) -> None:
    """Drawn from ``GET /v1/verification/epochs/{epoch}`` in the shape the verifier's branch
    serves (stood in here by the browser, as this branch deploys no verifier)."""
    import json

    page, _ = open_wallet(None)
    a, b, c = (r.address for r in city.live.world.residents[:3])
    root, other = "0x" + "aa" * 32, "0x" + "bb" * 32
    answer = {
        "epoch": city.epoch,
        "phase": "finalised",
        "commit_opens": 1,
        "reveal_opens": 2,
        "reveal_closes": 1_800_000_000,
        "credit_closes": 1_800_000_100,
        "quorum": 2,
        "reveals": 3,
        "root": root,
        "roots": [{"root": root, "count": 2}, {"root": other, "count": 1}],
        "verifiers": [
            {
                "address": a,
                "committed": True,
                "revealed": True,
                "root": root,
                "agreed": True,
                "credited": True,
            },
            {
                "address": b,
                "committed": True,
                "revealed": True,
                "root": root,
                "agreed": True,
                "credited": True,
            },
            {
                "address": c,
                "committed": True,
                "revealed": True,
                "root": other,
                "agreed": False,
                "credited": False,
            },
        ],
        "verifier": "0x" + "12" * 20,
        "chain_id": city.live.chain_id,
    }
    page.route(
        f"**/v1/verification/epochs/{city.epoch}",
        lambda route: route.fulfill(
            status=200, body=json.dumps(answer), content_type="application/json"
        ),
    )
    page.goto(f"{city.live.url}/#/epoch/{city.epoch}")
    part = page.locator(".verification[data-phase=finalised]")
    expect(part).to_contain_text("2 of 3 verifiers agreed (3 answers, 2 needed)")
    expect(part).to_contain_text(root)
    expect(part.locator("tbody tr")).to_have_count(3)
    expect(part.locator("tbody tr").nth(2)).to_contain_text("no")
    shot(page, "public-epoch-verified-en")
