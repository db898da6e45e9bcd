"""An in-memory sliding-window rate limiter (per key, thread-safe).

In memory on purpose: sign-in throttling protects one process's CPU and database from a
burst; several gateway replicas each apply the limit (a shared store is not worth its latency).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from credit.gateway.errors import ApiError


@dataclass(eq=False)
class SlidingWindowLimiter:
    """At most ``limit`` hits per key within any ``window_seconds``; ``clock`` is injectable."""

    limit: int
    window_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _hits: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)

    def hit(self, key: str, cost: int = 1) -> float | None:
        """Record ``cost`` hits for ``key``; None if allowed, else seconds until they would be.

        A refused hit is not recorded, so a client that waits ``Retry-After`` gets through.
        """
        now = self.clock()
        horizon = now - self.window_seconds
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._evict(horizon)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) + cost > self.limit:
                if cost > self.limit:
                    return self.window_seconds  # never fits: the caller must send less
                # the oldest hits that must leave the window before ``cost`` more fit
                return max(hits[len(hits) + cost - self.limit - 1] - horizon, 0.0)
            hits.extend([now] * cost)
            return None

    def _evict(self, horizon: float) -> None:
        """Drop keys with no hit inside the window (caller holds the lock)."""
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= horizon]:
            del self._hits[key]


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


class RateLimited(ApiError):
    """429 ``rate_limited``: too many ``what`` (say from whom); try again in ``wait`` seconds."""

    def __init__(self, what: str, wait: float) -> None:
        seconds = retry_after_header(wait)
        super().__init__(
            429,
            "rate_limited",
            f"too many {what}: wait {seconds} s and try again",
            {"retry_after_seconds": int(seconds)},
            headers={"Retry-After": seconds},
        )
