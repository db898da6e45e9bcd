"""The audit report for people: one self-contained HTML page (inline CSS and SVG, no scripts).

Rendered from the JSON report (:func:`credit.audit.report.build_report`), so both always say the
same. The page opens with what was audited, the verdict and the counts, then every failing check
with its evidence (:mod:`credit.audit.html_findings`), charts, and the tables. Labels are human
(:mod:`credit.audit.checks`), machine codes stay as small secondary ids. It fits an A4 page and
a 1280 px laptop: long ids are shortened in tables (full in ``title``), and it has a print style.
Every value is escaped; long tables are cut with a note (the JSON has every row).
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from credit.audit.checks import FIGURES, GROUPS
from credit.audit.html_findings import failing_checks
from credit.audit.html_parts import (
    MAX_ROWS,
    code_id,
    date,
    full,
    short,
    table,
    tokens,
)
from credit.audit.html_tables import tables
from credit.audit.svg import hbars, histogram, stacked_bars, timeline

__all__ = ["MAX_ROWS", "render_html"]

STATUS_COLORS = {"passed": "#2e7d32", "failed": "#c62828", "not run": "#9e9e9e"}
_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:60rem;
 padding:1.5rem 1rem 3rem;color:#1f2328;line-height:1.45;font-size:15px;overflow-wrap:break-word}
h1{font-size:1.6rem;margin:0 0 .3rem} h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;
 padding-bottom:.2rem;margin:2rem 0 .6rem} h3{font-size:1rem;margin:0 0 .2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.4rem 0}
th,td{border-bottom:1px solid #e5e7eb;padding:.3rem .45rem;text-align:left;vertical-align:top;
 overflow-wrap:break-word} td.group{background:#f6f8fa;font-weight:600;padding-top:.6rem}
.path{overflow-wrap:anywhere} th{background:#f6f8fa;font-weight:600} .num{text-align:right}
.wrap{max-width:100%;overflow-x:auto}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82em}
code.full{overflow-wrap:anywhere;word-break:break-all} code.id{white-space:nowrap}
code.code{color:#57606a;background:#f6f8fa;border-radius:4px;padding:0 .3em;font-weight:400;
 font-size:.75rem;white-space:nowrap}
.verdict{font-size:1.15rem;font-weight:600;padding:.6rem 1rem;border-radius:8px;margin:.8rem 0}
.clean{background:#e6f4ea;color:#1e5e2e;border:1px solid #b7dfc0}
.dirty{background:#fde8e8;color:#8a1c1c;border:1px solid #f3b9b9}
.note{color:#57606a;font-size:.85rem} .ok{color:#1e5e2e}
.audited{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.6rem 0;
 font-size:.9rem} .audited dt{color:#57606a} .audited dd{margin:0;min-width:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(7rem,1fr));gap:.6rem;
 margin:.8rem 0} .card{border:1px solid #d0d7de;border-radius:8px;padding:.5rem .7rem}
.card b{display:block;font-size:1.4rem} .card span{font-size:.8rem;color:#57606a}
.card.bad b{color:#c62828}
.finding{border:1px solid #f3b9b9;border-left:5px solid #c62828;border-radius:6px;
 padding:.7rem .9rem;margin:.8rem 0} .meta{margin:0;color:#57606a;font-size:.85rem}
.meaning{margin:.4rem 0} .instance{border-top:1px dashed #d0d7de;padding-top:.4rem;margin-top:.5rem}
.instance p{margin:.2rem 0} .vs{display:inline-block;vertical-align:top;min-width:12rem;
 max-width:100%;margin:.3rem 1rem .3rem 0;padding:.3rem .6rem;border-radius:6px;
 background:#e6f4ea} .vs.bad{background:#fde8e8} .vs>span{display:block;font-size:.78rem;
 color:#57606a} .facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;
 margin:.3rem 0;font-size:.88rem} .facts dt{color:#57606a} .facts dd{margin:0;min-width:0}
.label{font-size:.8rem;color:#57606a;margin:.4rem 0 0} .evidence{margin:.1rem 0;
 padding-left:1.2rem;font-size:.88rem}
figure{margin:1rem 0;break-inside:avoid} figcaption{font-size:.88rem;color:#57606a}
svg{display:block;max-width:100%;height:auto}
.status-failed{color:#c62828;font-weight:600} .status-passed{color:#2e7d32}
.status-not-run{color:#57606a}
@media print{
 @page{size:A4;margin:14mm}
 body{max-width:none;padding:0;font-size:10pt} h2{break-after:avoid}
 .finding,.instance,tr,figure,.card{break-inside:avoid} .wrap{overflow:visible}
 tr:has(td.group){break-after:avoid}
 .verdict,.finding,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


def _audited(report: dict[str, Any]) -> str:
    d, a = report["deployment"], report["audited"]
    versions = ", ".join(
        f"version {v['version']} ({short(v['content_hash'])}, in force from "
        f"{escape(date(v['effective_at']))})"
        for v in report["rule_versions"]
    )
    files = report["rule_files"]
    rows = [
        ("Chain", f"chain id {d['chain_id']}"),
        ("Ledger", full(d["ledger"])),
        ("Rule book", full(d["rule_book"])),
        (
            "Blocks",
            f"{d['start_block']} (deployment) to {a['block']} ({escape(date(a['block_time']))}),"
            f" {a['events']:,} events read",
        ),
        ("Rule versions", versions or "none published"),
        (
            "Rule-set files",
            f"{len(files)} checked against the on-chain hashes"
            if files
            else "none given: the published hashes were not checked against any text",
        ),
        (
            "Notices export",
            "compared with the recomputed notices" if report.get("notices") else "not given",
        ),
    ]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="audited">{items}</dl>'


def _cards(report: dict[str, Any]) -> str:
    s = report["summary"]
    status = Counter(c["status"] for c in report["checks"])
    cards = [
        (status["passed"], "checks passed", False),
        (status["failed"], "checks failed", status["failed"] > 0),
        (s["discrepancies"], "discrepancies", s["discrepancies"] > 0),
        (s["records_credited"], "records credited", False),
        (s["violations"], "violations recorded", False),
        (s["residents"], "residents", False),
    ]
    skipped = (
        f'<p class="note">{status["not run"]} check(s) not run: their input was not given '
        "(see What was audited).</p>"
        if status["not run"]
        else ""
    )
    items = "".join(
        f'<div class="card{" bad" if bad else ""}"><b>{n:,}</b><span>{label}</span></div>'
        for n, label, bad in cards
    )
    return f'<div class="cards">{items}</div>{skipped}'


def _verdict(report: dict[str, Any]) -> str:
    s = report["summary"]
    if report["clean"]:
        return (
            '<p class="verdict clean">Clean: the chain agrees with every recomputation, at '
            f"block {report['audited']['block']}.</p>"
        )
    failed = len(s["by_code"])
    return (
        f'<p class="verdict dirty">Not clean: {s["discrepancies"]:,} discrepanc'
        f"{'y' if s['discrepancies'] == 1 else 'ies'} in {failed} check"
        f"{'' if failed == 1 else 's'}. Each is listed below with its evidence.</p>"
    )


def _checks(report: dict[str, Any]) -> str:
    per_group: dict[str, Counter[str]] = {g: Counter() for g in GROUPS}
    for c in report["checks"]:
        per_group.setdefault(c["group"], Counter())[c["status"]] += 1
    chart = hbars([(g, n) for g, n in per_group.items() if n], STATUS_COLORS)
    rows: list[tuple[str, ...]] = []
    for group in per_group:
        members = [c for c in report["checks"] if c["group"] == group]
        if members:
            rows.append((f'<td class="group" colspan="2">{escape(group)}</td>',))
        rows += [
            (
                f"{escape(c['label'])} {code_id(c['code'])}",
                f'<span class="status-{c["status"].replace(" ", "-")}">{escape(c["status"])}'
                + (f" ({c['count']})" if c["count"] else "")
                + "</span>",
            )
            for c in members
        ]
    return (
        f"<figure>{chart}<figcaption>Checks passed, failed and not run, per group.</figcaption>"
        "</figure>" + table(("check", "result"), rows)
    )


def _category_names(report: dict[str, Any]) -> dict[int, str]:
    """Category titles from the rule-set files that match a published version (else none)."""
    names: dict[int, str] = {}
    for f in report["rule_files"]:
        if f["versions"]:
            names.update({int(k): f"{k} {v}" for k, v in f.get("categories", {}).items()})
    return names


def _charts(report: dict[str, Any]) -> str:
    points = report.get("points_per_epoch", [])
    moved = {
        "credited": {p["epoch"]: p["credited"] for p in points},
        "deducted": {p["epoch"]: p["deducted"] for p in points if p["deducted"]},
    }
    series: dict[str, dict[int, int]] = {}
    rows = sorted(report["records_per_category_epoch"], key=lambda r: (r["category"], r["epoch"]))
    names = _category_names(report)
    for row in rows:
        name = names.get(row["category"], f"category {row['category']}")
        series.setdefault(name, {})[row["epoch"]] = row["records"]
    lanes: dict[str, list[tuple[int, str]]] = {
        "role changes": [
            (c["block_time"], f"{c['event']} {c['role']} {c['account']} by {c['by']}")
            for c in report["role_changes"]
        ],
        "rule publications": [
            (v["published_at"], f"version {v['version']} effective {date(v['effective_at'])}")
            for v in report["rule_versions"]
        ],
        "appeal decisions": [
            (
                a["block_time"],
                ("overturned " if a["overturned"] else "upheld ") + f"{a['record_id']}",
            )
            for a in report["appeal_decisions"]
        ],
    }
    credits = [r["credit"] for r in report["residents"]]
    colors = ("#2e7d32", "#c62828")
    return (
        f"<figure>{stacked_bars(moved, x_label='epoch', y_label='points', colors=colors)}"
        "<figcaption>Points credited per epoch, and points that violations deducted."
        "</figcaption></figure>"
        f"<figure>{stacked_bars(series, x_label='epoch', y_label='records')}<figcaption>"
        "Records booked per category and epoch (credits and violations).</figcaption></figure>"
        f"<figure>{histogram(credits)}<figcaption>Residents by recomputed credit at the audited "
        "block.</figcaption></figure>"
        f"<figure>{timeline(lanes)}<figcaption>Operator actions over time: role grants and "
        "revokes, rule publications, appeal decisions (hover a mark for details).</figcaption>"
        "</figure>"
    )


def _figures(report: dict[str, Any]) -> str:
    rows = []
    for key, value in report["summary"].items():
        if key == "by_code":
            continue
        shown = tokens(value) if key in ("minted_total", "total_supply") else f"{value:,}"
        rows.append((f"{escape(FIGURES.get(key, key))} {code_id(key)}", shown))
    return table(("figure", "value"), rows, numeric=(1,))


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>Consensus Credit audit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Consensus Credit audit report</h1>",
        '<p class="note">Every figure below was recomputed from the chain\'s own events and '
        "state; the machine-readable report.json holds the same findings.</p>",
        _verdict(report),
        _cards(report),
        "<h2>What was audited</h2>",
        _audited(report),
        "</header>",
        "<h2>Failing checks</h2>",
        failing_checks(report),
    ]
    if report["warnings"]:
        parts.append("<h2>Warnings</h2><ul>")
        parts += [f"<li>{escape(w)}</li>" for w in report["warnings"]]
        parts.append("</ul>")
    parts += [
        "<h2>Charts</h2>",
        _charts(report),
        "<h2>All checks</h2>",
        _checks(report),
        "<h2>Figures</h2>",
        _figures(report),
        *tables(report),
        "</body></html>",
    ]
    return "\n".join(parts)
