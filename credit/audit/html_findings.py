"""The failing checks of the HTML audit report, each with its evidence.

Per failing check: its label, its code, what a failure means in plain words, and for each
discrepancy kept the sentence the check wrote, expected versus found where the check records
both, the other facts it names (record, resident, epoch...) and the events on chain that prove it.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from credit.audit.checks import DATA, GROUPS, check
from credit.audit.html_parts import code_id, date, full

PER_CHECK = 20  # discrepancies shown per check; the JSON report keeps up to 200 of each
TIMES = {"effective_at", "lawful_start"}  # data keys that hold unix times
_LOWER_WORD = re.compile(r"^[a-z]+\b(?![(.])")


def _value(key: str, value: Any) -> str:
    if key in TIMES and isinstance(value, int):
        return f'<span title="unix time {value}">{escape(date(value))}</span>'
    return full(value)


def _sentence(message: str) -> str:
    """The check's message as a sentence; a leading name (creditOf, 0x…) keeps its case."""
    if _LOWER_WORD.match(message):
        message = message[:1].upper() + message[1:]
    return escape(message if message.endswith(".") else message + ".")


def _evidence(items: list[dict[str, Any]]) -> str:
    if not items:
        return (
            '<p class="note">Evidence: the state read at the audited block (no single event '
            "shows it).</p>"
        )
    rows = "".join(
        "<li>"
        + (f"<strong>{escape(e['event'])}</strong> event " if e.get("event") else "Event ")
        + f"in block {e['block_number']} (log {e['log_index']}), {escape(date(e['block_time']))}"
        + f"<br>transaction {full(e['tx_hash'])}</li>"
        for e in items
    )
    return f'<p class="label">Evidence on chain</p><ul class="evidence">{rows}</ul>'


def _side(side: str, key: str) -> str:
    """ "Expected (recomputed)"; just "Expected" where the key says no more."""
    if key in ("expected", "found"):
        return side
    return f"{side} ({escape(DATA.get(key, key))})"


def _facts(code: str, data: dict[str, Any]) -> str:
    c = check(code)
    cells = []
    pair = c.expected in data and c.found in data
    if pair and c.expected and c.found:
        cells.append(
            f'<div class="vs"><span>{_side("Expected", c.expected)}</span>'
            f"<b>{_value(c.expected, data[c.expected])}</b></div>"
            f'<div class="vs bad"><span>{_side("Found", c.found)}</span>'
            f"<b>{_value(c.found, data[c.found])}</b></div>"
        )
    rest = [k for k in data if not pair or k not in (c.expected, c.found)]
    if rest:
        items = "".join(
            f"<dt>{escape(DATA.get(k, k).capitalize())}</dt><dd>{_value(k, data[k])}</dd>"
            for k in rest
        )
        cells.append(f'<dl class="facts">{items}</dl>')
    return "".join(cells)


def _instance(d: dict[str, Any]) -> str:
    return (
        '<div class="instance">'
        f"<p>{_sentence(d['message'])}</p>"
        f"{_facts(d['code'], d['data'])}{_evidence(d['evidence'])}</div>"
    )


def failing_checks(report: dict[str, Any]) -> str:
    """One article per failing check, in the order of the check groups."""
    counts: dict[str, int] = report["summary"]["by_code"]
    if not counts:
        return '<p class="ok">Every check passed: the chain agrees with what the rules give.</p>'
    kept: dict[str, list[dict[str, Any]]] = {}
    for d in report["discrepancies"]:
        kept.setdefault(d["code"], []).append(d)
    order = {g: i for i, g in enumerate(GROUPS)}
    codes = sorted(counts, key=lambda c: (order.get(check(c).group, len(order)), c))
    out = []
    for code in codes:
        c, n, shown = check(code), counts[code], kept.get(code, [])[:PER_CHECK]
        more = n - len(shown)
        out.append(
            f'<article class="finding" id="check-{escape(code)}">'
            f"<h3>{escape(c.label)} {code_id(code)}</h3>"
            f'<p class="meta">{escape(c.group)} · failed {n} time{"s" if n != 1 else ""}</p>'
            f'<p class="meaning"><strong>What this means:</strong> {escape(c.meaning)}</p>'
            + "".join(_instance(d) for d in shown)
            + (f'<p class="note">{more} more of this check in report.json.</p>' if more else "")
            + "</article>"
        )
    return "".join(out)
