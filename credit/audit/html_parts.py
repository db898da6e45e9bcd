"""Small pieces of the HTML audit report: escaped values, shortened ids, amounts, tables.

Long hex values (addresses, hashes) are shortened in tables to keep the page within an A4 or
laptop width; the full value stays in the ``title`` attribute and in the JSON report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from pathlib import PurePath
from typing import Any

MAX_ROWS = 200
TOKEN = "CCR"  # CreditLedger's ERC-20 symbol; 18 decimals
_DECIMALS = Decimal(10) ** 18


def date(t: int | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def when(t: int | None) -> str:
    """A time for a table cell (the column header says UTC)."""
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def path(name: str) -> str:
    """A file's name, its whole path in ``title``."""
    return f'<span class="path" title="{escape(name)}">{escape(PurePath(name).name)}</span>'


def is_hex_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith("0x") and len(value) > 18


def short(value: object) -> str:
    """A hex id as ``0x1234ab…cdef`` with the full value in ``title``; anything else escaped."""
    if not is_hex_id(value):
        return escape(str(value))
    text = str(value)
    return f'<code class="id" title="{escape(text)}">{escape(text[:8])}…{escape(text[-4:])}</code>'


def full(value: object) -> str:
    """A value in full: hex ids as code that wraps anywhere (they are evidence to copy)."""
    if isinstance(value, list):
        return ", ".join(full(v) for v in value) or "none"
    if is_hex_id(value):
        return f'<code class="full">{escape(str(value))}</code>'
    return escape(str(value))


def tokens(base_units: str | int | None) -> str:
    """An amount of reward tokens, with the exact base units in ``title``."""
    if base_units is None:
        return '<span class="note">not fixed</span>'
    amount = Decimal(int(base_units)) / _DECIMALS
    text = f"{amount:,.18f}".rstrip("0").rstrip(".")
    return f'<span title="{int(base_units)} base units">{text} {TOKEN}</span>'


def role(name: str) -> str:
    """``PUBLIC_PANEL_ROLE`` as "Public panel", the on-chain name in ``title``."""
    words = name.removesuffix("_ROLE").replace("_", " ").lower()
    return f'<span title="{escape(name)}">{escape(words.capitalize())}</span>'


def code_id(code: str) -> str:
    """A machine code as the small secondary id beside its human label."""
    return f'<code class="code">{escape(code)}</code>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    note: str = "None.",
) -> str:
    """A table of already escaped HTML cells (use :func:`short`, :func:`escape`); ``numeric``
    columns are right-aligned. At most :data:`MAX_ROWS` rows, with a note of the rest."""
    rows = list(rows)
    if not rows:
        return f'<p class="note">{escape(note)}</p>'

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + (
            row[0]  # a group heading row: one cell, already a <td>
            if len(row) == 1 and len(headers) > 1
            else "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row))
        )
        + "</tr>"
        for row in rows[:MAX_ROWS]
    )
    cut = (
        f'<p class="note">{len(rows) - MAX_ROWS} more row(s) in report.json.</p>'
        if len(rows) > MAX_ROWS
        else ""
    )
    return (
        f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f"</div>{cut}"
    )
