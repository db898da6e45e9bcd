"""Errors of ledger verification (one branch of the :class:`CreditError` tree)."""

from __future__ import annotations

from credit.errors import CreditError


class VerifyError(CreditError, ValueError):
    """The epoch cannot be verified as asked (not over yet, facts past its end, empty state).

    The message says what to do next: wait for the epoch to end, or replay the right blocks.
    """

    default_message = "the epoch cannot be verified as asked: see the message for what to do next"
