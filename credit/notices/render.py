"""Rendering notice messages in English and Simplified Chinese.

Placeholder values are either language-neutral (numbers, ``YYYY-MM-DD`` dates in UTC) or a
:class:`Localized` pair (category titles, units, evaluator kinds). Templates were checked against
each condition's placeholders when the rule set was parsed, so rendering never leaves a ``{...}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from credit.ruleset import Category, EvaluatorKind

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Localized:
    """A placeholder value that differs by language."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        """The value in ``lang``."""
        return self.en if lang == "en" else self.zh


Value = Localized | str | int | float

KIND_NAMES: dict[EvaluatorKind, Localized] = {
    EvaluatorKind.SUPERIOR: Localized(
        "a superior (organiser or department)", "上级（组织方或部门）"
    ),
    EvaluatorKind.PEER: Localized("a fellow resident", "其他居民"),
    EvaluatorKind.PUBLIC: Localized("a public panel member", "公众评议员"),
    EvaluatorKind.EXPERT: Localized("an expert", "专家"),
}


# What a resident can do to get a claim confirmed, per kind of evaluator still needed.
NEXT_STEPS: dict[EvaluatorKind, Localized] = {
    EvaluatorKind.SUPERIOR: Localized(
        "ask the organiser or department that ran the activity to confirm it",
        "请活动的组织方或负责部门确认",
    ),
    EvaluatorKind.PEER: Localized(
        "ask a neighbour who was there to confirm it: send them your claim's share link",
        "请一位在场的邻居确认：把这条申报的分享链接发给对方",
    ),
    EvaluatorKind.PUBLIC: Localized(
        "the public panel has been reminded to review it", "已提醒公众评议员审核"
    ),
    EvaluatorKind.EXPERT: Localized("an expert has been reminded to review it", "已提醒专家审核"),
}


def next_steps(kinds: Iterable[EvaluatorKind]) -> Localized:
    """What to do next for each kind, joined (``; `` / ``；``), in both languages."""
    steps = [NEXT_STEPS[k] for k in sorted(set(kinds))]
    if not steps:
        return Localized("wait for the evaluators", "请等待评价人确认")
    return Localized("; ".join(s.en for s in steps), "；".join(s.zh for s in steps))


def utc_date(timestamp: int) -> str:
    """``YYYY-MM-DD`` of a unix time, in UTC."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def utc_time(timestamp: int) -> str:
    """``HH:MM UTC`` of a unix time."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%H:%M UTC")


def number(value: Fraction | int) -> int | float:
    """An exact number for ``data`` and messages: an int when whole (medians may end in .5)."""
    value = Fraction(value)
    return int(value) if value.denominator == 1 else float(value)


def category_title(category: Category) -> Localized:
    """The category's title in both languages."""
    return Localized(category.title.en, category.title.zh)


def category_unit(category: Category) -> Localized:
    """The category's unit in both languages."""
    return Localized(category.unit.en, category.unit.zh)


def kinds_text(kinds: Iterable[EvaluatorKind], all_needed: bool) -> Localized:
    """``a superior and an expert`` (all needed) or ``... or ...`` (any one), in both languages."""
    names = [KIND_NAMES[k] for k in sorted(set(kinds))]
    if not names:
        return Localized("no one", "无")
    en_joiner, zh_joiner = (" and ", "和") if all_needed else (" or ", "或")
    en = [n.en for n in names]
    zh = [n.zh for n in names]
    if len(names) == 1:
        return Localized(en[0], zh[0])
    return Localized(
        ", ".join(en[:-1]) + en_joiner + en[-1], "、".join(zh[:-1]) + zh_joiner + zh[-1]
    )


def render(templates: Mapping[str, str], values: Mapping[str, Value]) -> dict[str, str]:
    """Render the ``en`` and ``zh`` templates with ``values``."""
    out = {}
    for lang in LANGUAGES:
        plain = {k: v.get(lang) if isinstance(v, Localized) else str(v) for k, v in values.items()}
        out[lang] = templates[lang].format_map(plain)
    return out
