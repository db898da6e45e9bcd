"""The report for people: every check has a human label, and a failing check shows its evidence."""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import replace
from html import escape
from pathlib import Path

import credit.audit
from credit.audit.checks import CHECKS, FIGURES, GROUPS, statuses
from credit.audit.html import render_html
from credit.audit.model import ChainData
from credit.audit.report import build_report
from credit.audit.run import run_checks
from credit.ruleset import DEFAULT_RULESET, RuleSet

_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def raised_codes() -> set[str]:
    """Every code the checks can raise, read from the source: the first argument of each
    ``….add("x.y", …)`` (Findings) and ``Discrepancy("x.y", …)`` call in credit/audit."""
    found = set()
    for path in Path(credit.audit.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            named = (isinstance(f, ast.Attribute) and f.attr == "add") or (
                isinstance(f, ast.Name) and f.id == "Discrepancy"
            )
            arg = node.args[0]
            value = arg.value if isinstance(arg, ast.Constant) else None
            if named and isinstance(value, str) and _CODE.match(value):
                found.add(value)
    return found


def test_every_check_code_has_a_human_label() -> None:
    raised = raised_codes()
    assert len(raised) >= 60  # the scan sees the checks (it cannot silently find none)
    assert raised - set(CHECKS) == set(), "add a label to credit/audit/check_table.py CHECKS"
    assert set(CHECKS) - raised == set(), "a label for a code no check raises"
    for code, c in CHECKS.items():
        assert c.group in GROUPS, code
        assert c.label[:1].isupper() and "_" not in c.label, code
        assert c.meaning.endswith("."), code
        assert (c.expected is None) == (c.found is None), code


def _strip_codes(page: str) -> str:
    """The page without its secondary ids and attributes: what a person reads as text."""
    page = re.sub(r'<code class="code">[^<]*</code>', "", page)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", page)


def test_a_clean_report_labels_every_figure_and_keeps_the_codes(
    city_data: ChainData, ruleset: RuleSet
) -> None:
    report = build_report(run_checks(city_data, [(DEFAULT_RULESET, ruleset)]))
    assert set(report["summary"]) - {"by_code"} <= set(FIGURES)
    assert {c["status"] for c in report["checks"]} == {"passed", "not run"}
    inputs = ("notices.", "poseidon.")  # no notices export, no private proofs
    assert {c["code"] for c in report["checks"] if c["status"] == "not run"} == {
        code for code in CHECKS if code.startswith(inputs)
    }
    page = render_html(report)
    assert '<code class="code">records_credited</code>' in page  # the machine id, secondary
    text = _strip_codes(page)
    assert "Records credited" in text
    for code in [c for c in [*FIGURES, *CHECKS] if "_" in c or "." in c]:
        assert code not in text, code  # only ever shown as a secondary id
    assert "Every check passed" in text
    assert "1 Volunteering" in page  # categories named from the rule-set file in the charts


def test_a_failing_check_renders_its_evidence(city_data: ChainData) -> None:
    data = copy.deepcopy(city_data)
    i = next(i for i, e in enumerate(data.events) if e.name == "RecordCredited")
    e = data.events[i]
    data.events[i] = replace(e, args={**e.args, "points": 11})
    report = json.loads(json.dumps(build_report(run_checks(data))))
    assert report["summary"]["by_code"] == {"record.points_mismatch": 1}
    (d,) = report["discrepancies"]
    assert d["code"] == "record.points_mismatch"  # the machine code stays in the JSON
    assert d["label"] == "Points follow from units and the rules"
    assert d["evidence"][0]["event"] == "RecordCredited"
    failed = [c for c in statuses(report) if c["status"] == "failed"]
    assert [(c["code"], c["count"]) for c in failed] == [("record.points_mismatch", 1)]

    page = render_html(report)
    start = page.index('<article class="finding" id="check-record.points_mismatch">')
    finding = page[start : page.index("</article>", start)]
    assert "Points follow from units and the rules" in finding
    assert '<code class="code">record.points_mismatch</code>' in finding
    assert escape(CHECKS["record.points_mismatch"].meaning) in finding
    assert "<span>Expected</span><b>10</b>" in finding
    assert "<span>Found (points booked)</span><b>11</b>" in finding
    assert f'<code class="full">{e.args["recordId"]}</code>' in finding  # which record
    assert f'<code class="full">{e.tx_hash}</code>' in finding  # which transaction
    assert f"<strong>RecordCredited</strong> event in block {e.block_number}" in finding
    assert "Not clean: 1 discrepancy in 1 check." in page
