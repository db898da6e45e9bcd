"""The relay's refusals: domain errors with a stable code, below the gateway.

The relay decides *what* is refused and why; the gateway's exception handlers alone decide the
HTTP status of each kind (:func:`credit.gateway.errors.install_error_handlers`).
"""

from __future__ import annotations

from typing import Any

from credit.errors import CreditError


class RelayRefusal(CreditError):
    """A request the relay refuses; ``code`` is stable and machine-readable, the message says
    what to do next, ``details`` carries the values behind it."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class RelayInvalid(RelayRefusal):
    """The request is well formed but wrong (a signature by someone else, an unknown reason)."""


class RelayForbidden(RelayRefusal):
    """The signer may not do this to this claim (their own claim, a kind they do not hold)."""


class RelayConflict(RelayRefusal):
    """The claim is not in a state that allows it (already credited, rejected or relayed)."""


class RelayMissing(RelayRefusal):
    """No claim with this record id was received."""
