"""The workers as processes of their own, one job each, for an operator's service
manager: ``credit relay run`` (the relay's batcher, signer and outbox for one relayer key) and
``credit index run`` (the indexer, the reward payer and the verification settler).

Exactly one copy of each runs at a time, whatever the service manager starts: a copy first
takes the job's :class:`~credit.store.lease.Lease` from the database (a PostgreSQL advisory
lock, or a lease row on SQLite) and waits, saying so, while another holds it. A copy killed
(even by SIGKILL) leaves its work in the database: the relay's outbox keeps every signed
transaction, and the successor re-sends those byte for byte before signing anything new, so
nothing is lost and nothing is sent twice. A copy that loses its lease stops at once and exits
with status 1 (its service manager starts it again, and it waits its turn).

The API processes (``credit serve`` with ``CREDIT_RUN_WORKERS=false``) only take requests: the
relay worker finds new work by looking every ``idle_seconds``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from credit.gateway.services import Services
from credit.relay.transaction import WORK_CHANNEL
from credit.store.feed import ChangeFeed
from credit.store.lease import Lease
from credit.store.retry import Background

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5  # how often a running worker looks at its lease and its stop signal


def relay_job(services: Services) -> str:
    """The lease name of the relay worker of this gateway's relayer pool, named by its first key
    (the relayer key, key 0 of every pool): one relay worker per pool, so per key."""
    return f"relay:{str(services.relayer.account.address).lower()}"


INDEX_JOB = "indexer"


def relay_parts(services: Services) -> list[Any]:
    """What ``credit relay run`` runs: the relay (its batcher, signer and outbox), and on
    PostgreSQL a change feed on which the API processes wake it when they store a
    confirmation (else it looks every ``idle_seconds``)."""
    if services.engine.dialect.name != "postgresql":
        return [services.relay]
    feed = ChangeFeed(services.engine)  # its own: the API's copies have no use here
    feed.follow(WORK_CHANNEL, RelayWaker(services.relay))
    return [feed, services.relay]


class RelayWaker:
    """Wakes the relay's batcher on each announcement of new work (a feed follower)."""

    def __init__(self, relay: Any) -> None:
        self.relay = relay

    def changed(self, payload: str) -> None:
        self.relay.wake()

    def lost(self) -> None:
        """Nothing to drop: the batcher still looks every ``idle_seconds``."""

    def resync(self) -> None:
        self.relay.wake()  # whatever was announced while the feed was not listening


def index_parts(services: Services) -> list[Any]:
    """What ``credit index run`` runs: the indexer, the reward payer (with a poller for runs
    that API processes accepted) and the verification settler."""
    return [services.indexer, services.rewards, RewardRuns(services), services.settler]


class RewardRuns(Background):
    """Hands the reward payer the runs that API processes stored since it started (the payer
    takes those stored before at its own start)."""

    thread_name, join_seconds = "reward-runs", 5.0

    def __init__(self, services: Services, every: float = 1.0) -> None:
        super().__init__()
        self.services, self.every = services, every
        self._seen: set[int] = set()

    def start(self) -> None:
        self._seen = set(self._open())  # the payer queued these itself
        super().start()

    def _open(self) -> list[int]:
        from credit.store.reward_tables import reward_runs

        with self.services.engine.connect() as conn:
            return [
                int(i)
                for i in conn.execute(
                    select(reward_runs.c.id).where(reward_runs.c.status == "accepted")
                ).scalars()
            ]

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                for run_id in self._open():
                    if run_id not in self._seen:
                        self._seen.add(run_id)
                        self.services.rewards.take(run_id)
            except Exception as exc:  # a busy database: look again next time
                log.warning("reward runs: %s", exc)


def run_job(
    services: Services, job: str, parts: Sequence[Any], stop: threading.Event | None = None
) -> int:
    """Hold ``job``'s lease and run ``parts`` until ``stop`` is set (SIGTERM or SIGINT, when
    called from the main thread) or the lease is lost; 0 on a clean stop, 1 if the lease was
    lost."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    lease = Lease(services.engine, job, seconds=services.settings.worker_lease_seconds)
    if not lease.acquire(stop):
        return 0
    started: list[Any] = []
    try:
        for part in parts:
            part.start()
            started.append(part)
        log.info("%s: running (%s)", job, ", ".join(type(p).__name__ for p in parts))
        while not stop.wait(CHECK_SECONDS):
            if lease.lost.is_set():
                log.error("%s: the lease is lost: stopping (a successor resumes the work)", job)
                return 1
        return 0
    finally:
        for part in reversed(started):
            try:
                part.stop()
            except Exception:
                log.exception("%s: stopping %s failed", job, type(part).__name__)
        lease.release()
        services.engine.dispose()
