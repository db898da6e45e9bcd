"""The audit report for people: one self-contained HTML page (inline CSS and SVG, no scripts).

Rendered from the JSON report (:func:`credit.audit.report.build_report`), so both always say the
same. Every value is escaped; long tables are cut with a note (the JSON has every row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from credit.audit.svg import histogram, stacked_bars, timeline

MAX_ROWS = 200
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f4f4f4} code{font-size:.8rem;word-break:break-all}
.verdict{font-size:1.3rem;padding:.6rem 1rem;border-radius:6px;display:inline-block}
.clean{background:#e6f4ea;color:#1e5e2e} .dirty{background:#fde8e8;color:#8a1c1c}
.note{color:#666;font-size:.85rem} figure{margin:1rem 0} figcaption{font-size:.9rem;color:#444}
"""


def _date(t: int | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: bool = False) -> str:
    rows = list(rows)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows[:MAX_ROWS]:
        cells = "".join(f"<td>{c if raw else escape(str(c))}</td>" for c in row)
        body.append(f"<tr>{cells}</tr>")
    cut = (
        f'<p class="note">{len(rows) - MAX_ROWS} more row(s) in report.json.</p>'
        if len(rows) > MAX_ROWS
        else ""
    )
    if not rows:
        return '<p class="note">None.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{cut}"


def _evidence(items: Sequence[dict[str, Any]]) -> str:
    if not items:
        return '<span class="note">(state read at the audited block)</span>'
    return "<br>".join(
        f"<code>{escape(e['tx_hash'])}</code> block {e['block_number']} log {e['log_index']}"
        for e in items
    )


def _discrepancies(report: dict[str, Any]) -> str:
    rows = [
        (f"<code>{escape(d['code'])}</code>", escape(d["message"]), _evidence(d["evidence"]))
        for d in report["discrepancies"]
    ]
    counts = report["summary"]["by_code"]
    summary = _table(("code", "count"), sorted(counts.items())) if counts else ""
    return summary + _table(("code", "what disagrees", "evidence"), rows, raw=True)


def _charts(report: dict[str, Any]) -> str:
    credits = [r["credit"] for r in report["residents"]]
    series: dict[str, dict[int, int]] = {}
    rows = sorted(report["records_per_category_epoch"], key=lambda r: (r["category"], r["epoch"]))
    for row in rows:
        series.setdefault(f"category {row['category']}", {})[row["epoch"]] = row["records"]
    lanes: dict[str, list[tuple[int, str]]] = {
        "role changes": [
            (
                c["block_time"],
                f"{c['event']} {c['role']} {c['account']} by {c['by']} ({c['contract']})",
            )
            for c in report["role_changes"]
        ],
        "rule publications": [
            (v["published_at"], f"version {v['version']} effective {_date(v['effective_at'])}")
            for v in report["rule_versions"]
        ],
        "appeal decisions": [
            (
                a["block_time"],
                ("overturned " if a["overturned"] else "upheld ")
                + f"{a['record_id']} by {a['arbiter']}",
            )
            for a in report["appeal_decisions"]
        ],
    }
    return (
        "<h2>Charts</h2>"
        f"<figure>{histogram(credits)}<figcaption>Credit distribution: residents by recomputed "
        "credit at the audited block.</figcaption></figure>"
        f"<figure>{stacked_bars(series, x_label='epoch', y_label='records')}<figcaption>Records "
        "booked per category and epoch (credits and violations).</figcaption></figure>"
        f"<figure>{timeline(lanes)}<figcaption>Operator actions: role grants and revokes, rule "
        "publications, appeal decisions (hover a mark for details).</figcaption></figure>"
    )


def _notices(report: dict[str, Any]) -> str:
    n = report.get("notices")
    if not n:
        return '<p class="note">No notices export was given (--notices).</p>'
    verdict = "identical" if n["identical"] else "different"
    return (
        f"<p>Recomputed {n['recomputed']} notice(s) at block {n['as_of_block']} "
        f"({_date(n['as_of_time'])}) under rule version {n['rule_version']}; the export has "
        f"{n['exported']}: <strong>{verdict}</strong>.</p>"
        + _table(
            ("difference", "notice id", "fields"),
            [("missing", i, "") for i in n["missing"]]
            + [("extra", i, "") for i in n["extra"]]
            + [("altered", a["id"], ", ".join(a["fields"])) for a in n["altered"]],
        )
    )


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page."""
    s, d, audited = report["summary"], report["deployment"], report["audited"]
    clean = report["clean"]
    verdict = (
        '<p class="verdict clean">Clean: the chain agrees with every recomputation.</p>'
        if clean
        else f'<p class="verdict dirty">{s["discrepancies"]} discrepancy(ies) found.</p>'
    )
    residents = sorted(report["residents"], key=lambda r: (-r["credit"], r["address"]))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Consensus Credit audit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Consensus Credit audit report</h1>",
        f"<p class='note'>Ledger <code>{escape(d['ledger'])}</code>, rule book "
        f"<code>{escape(d['rule_book'])}</code>, chain {d['chain_id']}; audited at block "
        f"{audited['block']} ({_date(audited['block_time'])}), {audited['events']} events.</p>",
        verdict,
        "<h2>Summary</h2>",
        _table(("measure", "value"), [(k, v) for k, v in s.items() if k != "by_code"]),
        "<h2>Discrepancies</h2>",
        _discrepancies(report),
    ]
    if report["warnings"]:
        parts.append("<h2>Warnings</h2><ul>")
        parts += [f"<li>{escape(w)}</li>" for w in report["warnings"]]
        parts.append("</ul>")
    parts += [
        _charts(report),
        "<h2>Rule versions</h2>",
        _table(
            ("version", "hash", "published", "effective", "lawful start", "categories", "tx"),
            [
                (
                    v["version"],
                    v["content_hash"],
                    _date(v["published_at"]),
                    _date(v["effective_at"]),
                    _date(v["lawful_start"]),
                    ", ".join(map(str, v["categories"])),
                    v["tx_hash"],
                )
                for v in report["rule_versions"]
            ],
        ),
        _table(
            ("rule-set file", "hash", "published as version(s)"),
            [(f["file"], f["hash"], f["versions"]) for f in report["rule_files"]],
        ),
        "<h2>Role grants and revokes</h2>",
        _table(
            ("when", "contract", "event", "role", "account", "by", "tx", "block"),
            [
                (
                    _date(c["block_time"]),
                    c["contract"],
                    c["event"],
                    c["role"],
                    c["account"],
                    c["by"],
                    c["tx_hash"],
                    c["block_number"],
                )
                for c in report["role_changes"]
            ],
        ),
        "<h2>Appeal decisions</h2>",
        _table(
            ("when", "record", "decision", "restored", "arbiter", "tx"),
            [
                (
                    _date(a["block_time"]),
                    a["record_id"],
                    "overturned" if a["overturned"] else "upheld",
                    a["restored"],
                    a["arbiter"],
                    a["tx_hash"],
                )
                for a in report["appeal_decisions"]
            ],
        ),
        "<h2>Rewards per epoch</h2>",
        _table(
            ("epoch", "rule version", "reward per point", "cap", "minted", "payments"),
            [
                (
                    e["epoch"],
                    e["rule_version"],
                    e["reward_per_point"],
                    e["cap"],
                    e["minted"],
                    e["payments"],
                )
                for e in report["epochs"]
            ],
        ),
        "<h2>Notices</h2>",
        _notices(report),
        "<h2>Residents</h2>",
        _table(
            ("resident", "recomputed credit", "creditOf on chain"),
            [(r["address"], r["credit"], r["credit_onchain"]) for r in residents],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
