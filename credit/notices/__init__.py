"""Reminders and warnings: a pure rules engine over ledger facts (no database, no chain).

The rules live in the rule set's ``notices`` section (so the on-chain content hash covers them),
are validated by :func:`parse_notices` (fairness first: ledger facts only), and are evaluated by
:func:`evaluate` into :class:`Notice` values that :func:`canonical_notices_json` serialises
byte-identically for auditors.
"""

from credit.notices.engine import (
    EVALUATORS,
    Notice,
    canonical_notices_json,
    check_published,
    evaluate,
    notice_id,
)
from credit.notices.fairness import PERSONAL_ATTRIBUTES, NoticeRuleError
from credit.notices.ledger import COUNTED
from credit.notices.schema import CONDITIONS, NoticeRule, NoticesSection, parse_notices

__all__ = [
    "CONDITIONS",
    "COUNTED",
    "EVALUATORS",
    "PERSONAL_ATTRIBUTES",
    "Notice",
    "NoticeRule",
    "NoticeRuleError",
    "NoticesSection",
    "canonical_notices_json",
    "check_published",
    "evaluate",
    "notice_id",
    "parse_notices",
]
