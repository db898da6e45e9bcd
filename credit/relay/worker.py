"""The relay's batcher and signer in a process of their own (``CREDIT_RELAY_PROCESS=true``).

The gateway's request handlers check and store claims and confirmations; the batcher plans
batches and the signer signs, stores, broadcasts and settles them. In one process they share one
GIL: under load, intake and relaying take turns on one core. With ``relay_process`` the API
process keeps intake (and the indexer, rewards and notices) and :class:`RelayProcess` runs the
batcher and the signer in a child process on the same database and node, each on its own core.

- Both processes change relay state only in :func:`credit.relay.records.write` transactions,
  which a lock between processes (a lock file beside SQLite, a lock row on PostgreSQL) orders as
  the relay's lock orders threads.
- The API process wakes the child through a pipe when a confirmation is stored (the child also
  looks for work every ``idle_seconds``) and asks it to stop through the pipe. A child whose
  parent died (even by SIGKILL) sees the pipe close and exits at once: no orphan keeps relaying
  beside the relay of the restarted gateway.
- A child that dies is started again (after ``RESTART_SECONDS``); its stored transactions are
  re-sent byte for byte by the next one, as after any restart.
- It needs a JSON-RPC node: the embedded chain lives inside the API process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from typing import Any

from credit.errors import CreditError
from credit.settings import Settings

log = logging.getLogger(__name__)

RESTART_SECONDS = 1.0
STOP_SECONDS = 15.0
_WAKE, _STOP, _READY = b"w", b"s", b"r"


class RelayProcess:
    """Starts, wakes, supervises and stops the relay's child process (see module doc)."""

    def __init__(self, settings: Settings, rpc_url: str, poa: bool, deployment_json: str) -> None:
        self.settings = settings
        self.rpc_url = rpc_url
        self.poa = poa
        self.deployment_json = deployment_json
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: Any = None
        self._stop = threading.Event()
        self._ready = threading.Event()  # the running child's relay has started
        self._monitor: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The running child's PID."""
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    @property
    def alive(self) -> bool:
        """Whether a child runs."""
        return self.pid is not None

    @property
    def ready(self) -> bool:
        """Whether a child runs and said its relay started (it imports and connects first)."""
        return self._ready.is_set() and self.alive

    def start(self) -> None:
        """Start the child and its supervisor (idempotent)."""
        if self._monitor is not None and self._monitor.is_alive():
            return
        self._stop.clear()
        self._spawn()
        self._monitor = threading.Thread(target=self._supervise, name="relay-process", daemon=True)
        self._monitor.start()

    def wake(self) -> None:
        """Ask the child to look for work now (never blocks a request on a dead child)."""
        with self._lock:
            if self._conn is None:
                return
            with contextlib.suppress(OSError):  # a dead child: the supervisor starts another
                self._conn.send_bytes(_WAKE)

    def stop(self) -> None:
        """Stop the child (it finishes the step at hand) and the supervisor (idempotent)."""
        self._stop.set()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send_bytes(_STOP)
            conn.close()
        proc = self._proc
        if proc is not None:
            proc.join(STOP_SECONDS)
            if proc.is_alive():
                log.warning(
                    "relay process %s did not stop in %s s: killing it", proc.pid, STOP_SECONDS
                )
                proc.kill()
                proc.join(5)
        if self._monitor is not None:
            self._monitor.join(5)
        self._monitor = None

    def _spawn(self) -> None:
        self._ready.clear()
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=run_child,
            args=(self.settings, self.rpc_url, self.poa, self.deployment_json, child),
            name="credit-relay",
            daemon=True,
        )
        proc.start()
        child.close()
        with self._lock:
            self._conn, self._proc = parent, proc
        log.info("relay process started (pid %s)", proc.pid)

    def _supervise(self) -> None:
        while not self._stop.is_set():
            proc = self._proc
            self._await_ready(self._conn)
            if proc.is_alive() or self._stop.is_set():
                continue
            log.error(
                "relay process %s exited with %s: starting another in %s s",
                proc.pid,
                proc.exitcode,
                RESTART_SECONDS,
            )
            if self._stop.wait(RESTART_SECONDS):
                return
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
            self._spawn()

    def _await_ready(self, conn: Connection | None) -> None:
        """Up to 0.2 s for the child's word that its relay started (or just 0.2 s)."""
        if conn is None or self._ready.is_set():
            self._stop.wait(0.2)
            return
        try:
            if conn.poll(0.2) and conn.recv_bytes() == _READY:
                self._ready.set()
        except (EOFError, OSError, ValueError):  # the child died, or stop() closed the pipe
            self._stop.wait(0.2)


def run_child(
    settings: Settings, rpc_url: str, poa: bool, deployment_json: str, conn: Connection
) -> None:
    """The child: the relay over its own connections to the node and the database, until the
    pipe from the API process closes."""
    from credit.gateway.build import wire_relay
    from credit.relay.service import Relay

    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    services = wire_relay(settings, rpc_url, poa, deployment_json)
    relay = Relay(services)
    relay.start()
    conn.send_bytes(_READY)
    try:
        while True:
            try:
                message = conn.recv_bytes()
            except (EOFError, OSError):
                # The API process died (a clean stop says so first): exit now, not after the
                # step at hand, so that the relay its restart starts never overlaps this one.
                # What was stored and not sent is re-sent by that one, as after any crash.
                log.warning("the gateway process is gone: the relay process exits")
                os._exit(0)
            if message == _STOP:
                break
            if message == _WAKE:
                relay.wake()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: stop cleanly
        pass
    relay.stop()
    services.engine.dispose()


def require_rpc(chain: str) -> None:
    """The relay process needs a node both processes can reach."""
    if not chain.startswith(("http://", "https://")):
        raise CreditError(
            "CREDIT_RELAY_PROCESS needs a JSON-RPC node (CREDIT_CHAIN=http://...): the embedded "
            "chain lives inside the gateway's process"
        )
