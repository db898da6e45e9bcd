"""Pacing the background workers' retries when the database (or the node) is unavailable.

A worker that meets a locked or full database must neither die nor spin: it logs one line, waits
longer after each consecutive failure (up to a cap), and goes back to its normal pace after the
first success. Its work stays in the database, so retrying is always safe.
"""

from __future__ import annotations

import logging
import threading
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


class Background:
    """A part that works in one daemon thread: :meth:`_run` until ``_stop`` is set.

    :meth:`start` and :meth:`stop` are idempotent; :meth:`stop` waits for the thread (at most
    ``join_seconds``, forever if None), except from the thread itself."""

    thread_name = "background"
    join_seconds: float | None = None

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread (idempotent)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it (idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.join_seconds)

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError
