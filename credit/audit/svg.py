"""Small inline SVG charts for the HTML report: no scripts, no external resources.

Each function returns one ``<svg>`` element as text. Hovering a bar or a mark shows its value
through SVG ``<title>`` elements, which browsers render natively.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _frame(body: str, label: str, height: int = HEIGHT) -> str:
    """An ``<svg>`` that scales down to its container (``width="100%"``, aspect kept)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px;height:auto" role="img" '
        f'aria-label="{escape(label)}" font-family="system-ui,sans-serif">'
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>{body}</svg>'
    )


def nice_top(y_max: int) -> int:
    """The top of a y axis with four equal integer steps at or above ``y_max``."""
    return 4 * max(1, -(-y_max // 4))


def _axes(y_max: int, y_label: str) -> str:
    """Axes for values ``0..y_max``; ``y_max`` must be a :func:`nice_top`."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#333"/>',
        f'<text x="12" y="{TOP + plot_h / 2}" font-size="11" transform="rotate(-90 12 '
        f'{TOP + plot_h / 2})" text-anchor="middle">{escape(y_label)}</text>',
    ]
    for i in range(5):
        value = y_max * i // 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value}</text>'
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>'
        )
    return "".join(parts)


def histogram(values: Sequence[int], *, bins: int = 12, label: str = "credit") -> str:
    """How many residents hold how much credit."""
    if not values:
        return _frame('<text x="20" y="40" font-size="13">no residents</text>', label)
    top = max(values)
    width = max(1, -(-(top + 1) // bins))  # ceil: every value falls in a bin
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, v // width)] += 1
    y_max = nice_top(max(counts))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar = plot_w / bins
    parts = [_axes(y_max, "residents")]
    for i, n in enumerate(counts):
        h = plot_h * n / y_max
        x = LEFT + i * bar
        lo, hi = i * width, (i + 1) * width - 1
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar - 2:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{n} resident(s) with {lo}-{hi} '
            f"{escape(label)}</title></rect>"
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" '
            f'text-anchor="middle">{lo}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">'
        f"{escape(label)} (lower bound of each bin)</text>"
    )
    return _frame("".join(parts), f"histogram of {label}")


def stacked_bars(
    series: dict[str, dict[int, int]],
    *,
    x_label: str,
    y_label: str,
    colors: Sequence[str] = PALETTE,
) -> str:
    """One bar per x (epoch; every x from the first to the last when there are at most 200),
    stacked by series (category, in the order given, coloured by ``colors``), with a legend."""
    seen = {x for s in series.values() for x in s}
    if not seen:
        return _frame('<text x="20" y="40" font-size="13">no records</text>', y_label)
    lo, hi = min(seen), max(seen)
    xs = list(range(lo, hi + 1)) if hi - lo < 200 else sorted(seen)
    totals = {x: sum(s.get(x, 0) for s in series.values()) for x in xs}
    y_max = nice_top(max(totals.values()))
    plot_w, plot_h = WIDTH - LEFT - RIGHT - 150, HEIGHT - TOP - BOTTOM
    bar = plot_w / len(xs)
    parts = [_axes(y_max, y_label)]
    names = list(series)
    for i, x in enumerate(xs):
        base = 0.0
        for k, name in enumerate(names):
            n = series[name].get(x, 0)
            if not n:
                continue
            h = plot_h * n / y_max
            y = HEIGHT - BOTTOM - base - h
            parts.append(
                f'<rect x="{LEFT + i * bar + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{colors[k % len(colors)]}"><title>{escape(name)}, '
                f"{escape(x_label)} {x}: {n}</title></rect>"
            )
            base += h
        if len(xs) <= 30 or i % max(1, len(xs) // 15) == 0:
            parts.append(
                f'<text x="{LEFT + (i + 0.5) * bar:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                f'font-size="9" text-anchor="middle">{x}</text>'
            )
    for k, name in enumerate(names):
        y = TOP + 14 * k
        parts.append(
            f'<rect x="{WIDTH - 150}" y="{y}" width="10" height="10" '
            f'fill="{colors[k % len(colors)]}"/><text x="{WIDTH - 136}" y="{y + 9}" '
            f'font-size="10">{escape(_fit(name, 23))}<title>{escape(name)}</title></text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    return _frame("".join(parts), f"{y_label} per {x_label}")


def hbars(rows: Sequence[tuple[str, Mapping[str, int]]], colors: Mapping[str, str]) -> str:
    """One horizontal bar per row, split into its parts (``colors`` names them, in order), the
    counts written in each part; a legend on top. For passed / failed checks per group."""
    if not rows:
        return _frame('<text x="20" y="40" font-size="13">nothing to show</text>', "bars", 80)
    left, lane, top = 190, 26, 34
    height = top + lane * len(rows) + 8
    plot_w = WIDTH - left - RIGHT
    widest = max(1, max(sum(parts.values()) for _, parts in rows))
    parts_out = []
    for k, (name, color) in enumerate(colors.items()):
        key_x = left + 110 * k
        parts_out.append(
            f'<rect x="{key_x}" y="8" width="12" height="12" fill="{color}"/>'
            f'<text x="{key_x + 17}" y="18" font-size="12">{escape(name)}</text>'
        )
    for i, (label, parts) in enumerate(rows):
        y = top + lane * i
        parts_out.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        x = float(left)
        for name, color in colors.items():
            n = parts.get(name, 0)
            if not n:
                continue
            w = plot_w * n / widest
            parts_out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{lane - 6}" fill="{color}">'
                f"<title>{escape(label)}: {n} {escape(name)}</title></rect>"
            )
            if w >= 18:
                parts_out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="11" fill="#fff" '
                    f'text-anchor="middle">{n}</text>'
                )
            x += w
    return _frame("".join(parts_out), "checks per group", height)


def timeline(lanes: Mapping[str, Sequence[tuple[int, str]]]) -> str:
    """Marks on a time axis, one lane per kind of action; each mark's title says what it was."""
    times = [t for marks in lanes.values() for t, _ in marks]
    if not times:
        return _frame('<text x="20" y="40" font-size="13">no operator actions</text>', "timeline")
    lo, hi = min(times), max(times)
    span = max(1, hi - lo)
    left = 150
    plot_w = WIDTH - left - RIGHT
    lane_h = (HEIGHT - TOP - BOTTOM) / max(1, len(lanes))
    parts = []
    for k, (name, marks) in enumerate(lanes.items()):
        y = TOP + lane_h * (k + 0.5)
        color = PALETTE[k % len(PALETTE)]
        parts.append(
            f'<text x="8" y="{y + 4:.1f}" font-size="11">{escape(name)} ({len(marks)})</text>'
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        for t, what in marks:
            x = left + plot_w * (t - lo) / span
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{color}" fill-opacity="0.7">'
                f"<title>{escape(_date(t))}: {escape(what)}</title></circle>"
            )
    fmt = "%Y-%m-%d %H:%M" if span >= 2 * 86400 else "%H:%M:%S"
    for i in range(5):
        t = lo + span * i // 4
        x = left + plot_w * i / 4
        anchor = ("start", "middle", "middle", "middle", "end")[i]
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="10" '
            f'text-anchor="{anchor}">{escape(_date(t, fmt))}</text>'
        )
    first, last = _date(lo, "%Y-%m-%d"), _date(hi, "%Y-%m-%d")
    axis = f"time (UTC), {first}" + ("" if first == last else f" to {last}")
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle">'
        f"{escape(axis)}</text>"
    )
    return _frame("".join(parts), "operator actions over time")


def _fit(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis."""
    return text if len(text) <= n else text[: n - 1] + "…"


def _date(t: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)
