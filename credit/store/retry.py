"""Pacing the background workers' retries when the database (or the node) is unavailable.

A worker that meets a locked or full database must neither die nor spin: it logs one line, waits
longer after each consecutive failure (up to a cap), and goes back to its normal pace after the
first success. Its work stays in the database, so retrying is always safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from credit.errors import StoreError


@dataclass
class Backoff:
    """Exponential delays: ``base``, 2×``base``, 4×``base`` … up to ``cap`` seconds."""

    base: float
    cap: float = 10.0
    failures: int = 0

    def failed(self) -> float:
        """Count a failure; the delay to wait before the next attempt."""
        self.failures += 1
        return float(min(self.cap, max(self.base, 0.01) * 2 ** min(self.failures - 1, 30)))

    def reset(self) -> None:
        """A success: the next failure starts again from ``base``."""
        self.failures = 0


def log_retry(log: logging.Logger, worker: str, exc: BaseException, delay: float) -> None:
    """One line for an unavailable database (expected, said plainly), a traceback otherwise."""
    if isinstance(exc, StoreError):
        log.warning("%s: %s; retrying in %.1f s", worker, exc, delay)
    else:
        log.error("%s: retrying in %.1f s after an error", worker, delay, exc_info=exc)
