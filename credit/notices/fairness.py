"""Fairness gate: notice rules may name ledger facts only, never personal attributes.

The schema already limits every condition to a fixed vocabulary (unknown fields are refused), but a
rule that tries to use a personal attribute must fail *loudly and specifically*: the governor who
wrote it learns which rule and which field broke the fairness rule. So, before the schema runs,
every key of a raw rule and every string value of its condition and parameters is split into words
(``home_address`` -> ``home``, ``address``; ``dateOfBirth`` -> ``date``, ``of``, ``birth``) and each
word is checked against :data:`PERSONAL_ATTRIBUTES`. Message placeholders are checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from credit.errors import RuleError

PERSONAL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        # demographics
        "age", "ages", "aged", "birth", "birthday", "birthdate", "born", "dob", "gender", "sex",
        "sexual", "sexuality", "orientation", "marital", "married", "pregnancy", "pregnant",
        # origin, belief, health
        "ethnicity", "ethnic", "race", "racial", "caste", "tribe", "nationality", "citizenship",
        "hukou", "origin", "religion", "religious", "faith", "belief", "political", "disability",
        "disabled", "health", "medical", "biometric", "face",
        # where and who
        "address", "home", "residence", "street", "postcode", "zipcode", "zip", "location", "gps",
        "phone", "mobile", "email", "name", "surname", "firstname", "lastname", "photo", "ip",
        # means
        "income", "salary", "wage", "wages", "wealth", "employer", "occupation", "education",
    }
)  # fmt: skip
"""Words a notice rule may never contain in its keys, condition or parameters."""

LEDGER_FACTS = "categories, counts, points, time windows, community aggregates"

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class NoticeRuleError(RuleError):
    """A notice rule is invalid; ``rule_id`` and ``field`` say where (``field`` may be empty)."""

    def __init__(self, rule_id: str, field: str, problem: str) -> None:
        self.rule_id = rule_id
        self.field = field
        where = f" in {field}" if field else ""
        super().__init__(f"notice rule {rule_id!r}{where}: {problem}")


def words(text: str) -> list[str]:
    """Split an identifier or phrase into lower-case words (snake, kebab and camel case)."""
    return [w.lower() for w in _WORD.findall(text)]


def personal_word(text: str) -> str | None:
    """The first personal-attribute word in ``text``, or None."""
    return next((w for w in words(text) if w in PERSONAL_ATTRIBUTES), None)


def _walk(value: Any, path: str, values_too: bool) -> Iterator[tuple[str, str]]:
    """Yield (field path, text) for every key, and for every string value if ``values_too``."""
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            sub = f"{path}.{key}" if path else str(key)
            yield sub, str(key)
            yield from _walk(value[key], sub, values_too or key in ("condition", "params"))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]", values_too)
    elif isinstance(value, str) and values_too:
        yield path, value


def check_fairness(rule_id: str, raw_rule: dict[str, Any]) -> None:
    """Raise NoticeRuleError if the raw rule names a personal attribute anywhere it could act.

    Keys are checked everywhere; string values only under ``condition`` and ``params`` (message
    texts are prose for the resident and are checked through their placeholders instead).
    """
    for field, text in _walk(raw_rule, "", False):
        word = personal_word(text)
        if word is not None:
            raise NoticeRuleError(
                rule_id,
                field,
                f"it references the personal attribute {word!r}; notice rules may use only "
                f"ledger facts ({LEDGER_FACTS}): remove it",
            )


def check_placeholder(rule_id: str, field: str, placeholder: str) -> None:
    """Raise NoticeRuleError if a message placeholder names a personal attribute."""
    word = personal_word(placeholder)
    if word is not None:
        raise NoticeRuleError(
            rule_id,
            field,
            f"placeholder {{{placeholder}}} references the personal attribute {word!r}; messages "
            f"may show only ledger facts ({LEDGER_FACTS}): remove it",
        )
