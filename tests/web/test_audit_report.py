"""The HTML audit report in a real browser: a played city with one failing check, rendered at a
1280 px laptop and at A4 width (794 px), fits without horizontal scrolling."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from credit.audit.model import ChainData
from credit.audit.report import build_report, write_reports
from credit.audit.run import run_checks
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.audit.conftest import city, city_data  # noqa: F401  (the played city's fixtures)
from tests.web.conftest import ARTIFACTS, shot

WIDTHS = [pytest.param(1280, 800, id="laptop-1280"), pytest.param(794, 1123, id="a4-794")]


@pytest.fixture(scope="module")
def report_file(
    city_data: ChainData,  # noqa: F811
    ruleset: RuleSet,
) -> Path:
    """The report of the played city with one record's points altered after it was read."""
    data = copy.deepcopy(city_data)
    i = next(i for i, e in enumerate(data.events) if e.name == "RecordCredited")
    data.events[i] = replace(data.events[i], args={**data.events[i].args, "points": 11})
    report = build_report(run_checks(data, [(DEFAULT_RULESET, ruleset)]))
    assert report["summary"]["by_code"] == {"record.points_mismatch": 1}
    _, html = write_reports(report, ARTIFACTS / "audit-report")  # kept beside the screenshots
    return html


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_audit_report_fits_the_width_and_shows_the_failing_check(
    browser: Browser, report_file: Path, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(report_file.as_uri())
        expect(page.locator(".verdict")).to_contain_text("Not clean: 1 discrepancy in 1 check")
        finding = page.locator("article.finding")
        expect(finding).to_have_count(1)
        expect(finding.locator("h3")).to_contain_text("Points follow from units and the rules")
        expect(finding.locator(".vs.bad")).to_contain_text("11")
        assert page.locator("svg").count() == 5
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{scroll} px wide in a {width} px viewport"
        # no table hides an overflow inside its scroll box either
        wide = page.evaluate(
            "[...document.querySelectorAll('.wrap')]"
            ".filter(w => w.scrollWidth > w.clientWidth).length"
        )
        assert wide == 0
        shot(page, f"audit-report-{width}")
        if width == 794:
            ARTIFACTS.mkdir(exist_ok=True)
            page.emulate_media(media="print")
            page.pdf(path=str(ARTIFACTS / "audit-report-a4.pdf"), format="A4")
    finally:
        context.close()
